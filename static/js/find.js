// Finding a node by name in a big circuit: the search field's actions and the matches
// they select. Like actions.js, nothing here touches the DOM; the circuit search panel
// (circuitfind.js) renders from `state.search` and the matches below.

let memo = { result: null, query: null, ids: [] };

// The named nodes matching the query, best first: the name itself, then names that
// start with it, then names that contain it (case ignored), each in drawing order.
export function searchMatches(state) {
  const { result } = state;
  const query = state.search.query.trim().toLowerCase();
  if (!result || !query) return [];
  if (memo.result === result && memo.query === query) return memo.ids;
  const ranked = [[], [], []];
  for (const node of result.nodes) {
    if (!node.name) continue;
    const name = node.name.toLowerCase();
    if (name === query) ranked[0].push(node.id);
    else if (name.startsWith(query)) ranked[1].push(node.id);
    else if (name.includes(query)) ranked[2].push(node.id);
  }
  memo = { result, query, ids: ranked.flat() };
  return memo.ids;
}

// The node the search shows, or null: its `at`-th match.
export function foundNode(state) {
  const ids = searchMatches(state);
  return ids.length ? ids[state.search.at % ids.length] : null;
}

export function createFindActions(store) {
  return {
    searchFor(query) {
      const { search } = store.get();
      if (search.query !== query || search.at !== 0) store.set({ search: { query, at: 0 } });
    },
    // Enter: the next match (Shift+Enter: the one before), round and round.
    searchStep(delta) {
      const state = store.get();
      const count = searchMatches(state).length;
      if (count < 2) return;
      const at = (state.search.at + delta + count) % count;
      store.set({ search: { query: state.search.query, at } });
    },
  };
}
