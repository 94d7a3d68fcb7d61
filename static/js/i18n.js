// Every piece of UI text, in English and Simplified Chinese. Math stays math.

export const LANGS = ["en", "zh"];

const STRINGS = {
  en: {
    title: "Backprop Lab",
    tagline: "Type a formula, then watch the forward and backward pass, one gate at a time.",
    examples: "Examples",
    choose: "Choose…",
    language: "Language",
    program: "Program",
    inputs: "Inputs",
    noInputs: "This program has no inputs.",
    fit: "Fit",
    exportSvg: "Export SVG",
    exportPng: "Export PNG",
    legendValue: "value: green, above the wire",
    legendGrad: "gradient: red italic, below the wire",
    empty: "Type a program to see its circuit.",
    speed: "Speed",
    Reset: "Reset",
    "Step back": "Step back",
    "Step forward": "Step forward",
    Play: "Play",
    Pause: "Pause",
    "Fit to screen": "Fit to screen",
    "Zoom in": "Zoom in",
    "Zoom out": "Zoom out",
    Timeline: "Timeline",
    Speed: "Speed",
    Examples: "Examples",
    Language: "Language",
    Circuit: "Circuit",
    Stepper: "Stepper",
    Explanation: "Explanation",
    Legend: "Legend",
    slider: "{name} slider",
    tensorHint: "a list of numbers, e.g. [[1, 2], [3, 4]]",
    start: "Press Step forward (→) to run the forward pass, gate by gate.",
    forwardInput: "{name} is an input: {name} = {value}.",
    forwardConst: "A constant: {value}.",
    forwardGate: "Forward: {name} = {expr} = {value}.",
    forwardDone: "The forward pass is done: {out} = {value}. Next, the backward pass.",
    seed: "Backward starts at the output: ∂{out}/∂{out} = {value}.",
    seedNote: "The gradient of the output with respect to itself is 1.",
    edgeFirst: "∂{out}/∂{input} = ∂{out}/∂{gate} · ∂{gate}/∂{input} = {upstream} · {local} = {product}",
    edgeAdd: "∂{out}/∂{input} += ∂{out}/∂{gate} · ∂{gate}/∂{input} = {upstream} · {local} = {product}",
    edgeTensor: "∂{out}/∂{input} {op} (∂{out}/∂{gate} pushed back through {label}) = {product}",
    runningSum: "{input} is used more than once, so its gradient is a sum: now ∂{out}/∂{input} = {sum}.",
    localRule: "Local derivative of {label}: {formula}.",
    done: "Done: every gradient has arrived; the red number under each input is the gradient of {out} with respect to it.",
    noGrad: "The output does not depend on any input, so there is no backward pass.",
    warning: "Warning",
    position: "{k} / {n}",
    stale: "The circuit shown is the last one that worked.",
    errorAt: "Line {line}, column {column}: {message}",
    shapeBadge: "shape {shape}: click to show the numbers",
    infoValue: "{name} = {value}",
    infoGrad: "∂{out}/∂{name} = {grad}",
    infoPending: "{name}: not computed yet",
  },
  zh: {
    title: "反向传播实验室",
    tagline: "输入一个公式，逐个门观察前向传播和反向传播。",
    examples: "示例",
    choose: "请选择…",
    language: "语言",
    program: "程序",
    inputs: "输入",
    noInputs: "这个程序没有输入。",
    fit: "适应屏幕",
    exportSvg: "导出 SVG",
    exportPng: "导出 PNG",
    legendValue: "值：绿色，在线上方",
    legendGrad: "梯度：红色斜体，在线下方",
    empty: "输入程序即可看到它的电路图。",
    speed: "速度",
    Reset: "重置",
    "Step back": "后退一步",
    "Step forward": "前进一步",
    Play: "播放",
    Pause: "暂停",
    "Fit to screen": "适应屏幕",
    "Zoom in": "放大",
    "Zoom out": "缩小",
    Timeline: "时间轴",
    Speed: "速度",
    Examples: "示例",
    Language: "语言",
    Circuit: "电路",
    Stepper: "步进控制",
    Explanation: "讲解",
    Legend: "图例",
    slider: "{name} 滑块",
    tensorHint: "数字列表，例如 [[1, 2], [3, 4]]",
    start: "按“前进一步”（→）开始前向传播，一次一个门。",
    forwardInput: "{name} 是输入：{name} = {value}。",
    forwardConst: "常数：{value}。",
    forwardGate: "前向：{name} = {expr} = {value}。",
    forwardDone: "前向传播完成：{out} = {value}。接下来是反向传播。",
    seed: "反向传播从输出开始：∂{out}/∂{out} = {value}。",
    seedNote: "输出对自身的梯度是 1。",
    edgeFirst: "∂{out}/∂{input} = ∂{out}/∂{gate} · ∂{gate}/∂{input} = {upstream} · {local} = {product}",
    edgeAdd: "∂{out}/∂{input} += ∂{out}/∂{gate} · ∂{gate}/∂{input} = {upstream} · {local} = {product}",
    edgeTensor: "∂{out}/∂{input} {op}（∂{out}/∂{gate} 经过 {label} 反传）= {product}",
    runningSum: "{input} 被使用了不止一次，所以它的梯度是几项之和：现在 ∂{out}/∂{input} = {sum}。",
    localRule: "{label} 的局部导数：{formula}。",
    done: "完成：所有梯度都已到达；每个输入下方的红色数字就是 {out} 对它的梯度。",
    noGrad: "输出不依赖任何输入，所以没有反向传播。",
    warning: "警告",
    position: "{k} / {n}",
    stale: "显示的是上一次成功的电路。",
    errorAt: "第 {line} 行，第 {column} 列：{message}",
    shapeBadge: "形状 {shape}：点击显示数值",
    infoValue: "{name} = {value}",
    infoGrad: "∂{out}/∂{name} = {grad}",
    infoPending: "{name}：尚未计算",
    "err.unknown_function": "未知函数 '{name}'",
    "err.unknown_function_hint": "未知函数 '{name}' —— 你是想写 '{suggestion}' 吗？",
    "err.operator_function": "'{name}' 在这里不是函数：请写成 {written}",
    "err.full_width": "全角字符 '{char}'（来自输入法）：请改用英文半角 '{meant}'",
    "err.missing_value": "{names} 没有值：请在下方给出，或在程序里赋一个数",
    "err.assigned_twice": "'{name}' 被赋值了两次：第 {first} 行和第 {second} 行；每个名字只能赋值一次",
    "err.used_before_assigned": "'{name}' 在第 {use} 行被使用，但第 {assigned} 行才给它赋值",
    "err.arity": "{name} 需要 {want} 个参数，实际给了 {got} 个",
    "err.param_literal": "{name} 的 {param} 必须是写在程序里的整数，例如 {name}(x, 0)",
    "err.keyword": "'{word}' 是 Python 关键字，不能在这里作为名字",
    "err.keyword_arg": "不支持关键字参数：请按位置传入 '{name}'",
    "err.dunder": "不允许以 '__' 开头的名字：'{name}'",
    "err.subscript": "不支持下标（'{name}[...]'）",
    "err.tuple": "不支持元组",
    "err.bad_target": "只能给名字赋值",
    "err.bare_expr": "只有最后一条语句可以是单独的表达式；请给它起个名字（q = ...）",
    "err.empty": "程序是空的：请写一个表达式，例如 f = (x + y) * z",
    "err.empty_list": "空列表里没有数字",
    "err.list_item": "列表里只能放数字或数字列表；计算请写在列表外面",
    "err.ragged": "参差不齐的列表：各行长度不同",
    "err.floor_div": "不支持整除 '//'",
    "err.nul": "程序里有 NUL 字符",
    "err.number_then_name": "数字后面不能紧跟名字：乘积请写成 '{number}*{name}'",
    "err.bad_number": "数字写法有误：'{text}'",
    "err.unexpected": "语法错误：{summary}",
    "err.unexpected_char": "意外的字符 '{char}'",
    "err.unsupported_char": "'{char}' 不属于电路语言（不支持字符串、属性访问、切片、字典等）",
    "err.too_deep": "表达式嵌套超过 {limit} 层",
    "err.too_many_nodes": "电路超过 {limit} 个节点",
    "err.source_too_long": "程序超过 {limit} 个字符",
    "err.tensor_too_large": "张量超过 {limit} 个数",
    "err.total_too_large": "整个电路超过 {limit} 个数",
    "err.shape": "形状不匹配：{summary}",
    "err.seed_shape": "种子梯度的形状 ({seed}) 与输出的形状 ({output}) 不同",
    "err.value_type": "'{name}' 的值必须是数字或数字列表",
    "err.value_string": "'{name}' 的值里有字符串；数字请直接写成数字",
    "err.value_empty": "'{name}' 的值里有空列表",
    "err.value_too_deep": "'{name}' 的值嵌套太深",
    "err.network": "无法连接服务器：{summary}",
  },
};

export function detectLang(storage, navigatorLanguage) {
  const saved = storage && storage.getItem("backprop-lab.lang");
  if (LANGS.includes(saved)) return saved;
  return (navigatorLanguage || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function has(lang, key) {
  return key in STRINGS[lang];
}

export function t(lang, key, params = {}) {
  const table = STRINGS[lang] || STRINGS.en;
  const template = key in table ? table[key] : (STRINGS.en[key] ?? key);
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// An API error in the user's language: a translated template where we have one,
// the server's English summary otherwise.
export function errorText(lang, error) {
  if (lang === "en") return error.summary || error.message;
  const args = error.args || {};
  let key = `err.${error.key || error.type}`;
  if (error.key === "unknown_function" && args.suggestion) key = "err.unknown_function_hint";
  if (!has(lang, key)) return error.summary || error.message;
  const params = { summary: error.summary || error.message, ...args };
  if (Array.isArray(args.names)) params.names = args.names.map((n) => `'${n}'`).join("、");
  for (const name of ["seed", "output"]) {
    if (Array.isArray(args[name])) params[name] = args[name].join(", ");
  }
  return t(lang, key, params);
}

export function allKeys(lang) {
  return Object.keys(STRINGS[lang]);
}
