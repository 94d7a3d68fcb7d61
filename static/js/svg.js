// Making SVG elements: the one helper the circuit, the plots and the tensor views share.

export const SVG = "http://www.w3.org/2000/svg";

// An SVG element with these attributes, appended to `parent` when one is given.
export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}
