/* Layers by the network simplex method, compiled: simplex.py's `_Simplex.solve`, step for
 * step, for one connected component.
 *
 * simplex.py is the specification and the oracle this file must agree with
 * (tests/test_layout_native.py compares the layers of both on random graphs). The same
 * choices in the same order: the first edge of least slack when the tree grows and when an
 * edge enters, the first node of least cut value when one leaves, the tree's edges at a
 * node in the order they joined it.
 *
 * One function is exported, `solve(src, dst, layer, max_steps)`: `src` and `dst` are the
 * edges (contiguous int64, nodes 0..n-1 of one connected component), `layer` (int64, one
 * per node, a feasible layering) is changed in place to the solution, least layer 0.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t i64;

typedef struct {
    i64 n, m;
    const i64 *src, *dst;
    i64 *layer;
    i64 *inc_ptr, *inc;       /* incident edges of each node, in edge order */
    i64 *adj, *adj_len;       /* tree edges at each node: adj[inc_ptr[v] ..], adj_len[v] */
    char *in_tree, *inside;
    i64 *net, *parent, *lim, *low, *order, *cut, *prefix, *stack_v, *stack_k, *frontier;
} Net;

static i64 other_end(const Net *g, i64 e, i64 v) { return g->src[e] == v ? g->dst[e] : g->src[e]; }

static void grow(Net *g, i64 start) {
    i64 top = 0;
    g->frontier[top++] = start;
    while (top) {
        i64 v = g->frontier[--top];
        for (i64 j = g->inc_ptr[v]; j < g->inc_ptr[v + 1]; j++) {
            i64 e = g->inc[j];
            i64 u = other_end(g, e, v);
            if (!g->inside[u] && g->layer[g->dst[e]] - g->layer[g->src[e]] == 1) {
                g->inside[u] = 1;
                g->in_tree[e] = 1;
                g->frontier[top++] = u;
            }
        }
    }
}

static void feasible_tree(Net *g) {
    i64 count = 1;
    g->inside[0] = 1;
    grow(g, 0);
    for (i64 v = 1; v < g->n; v++) count += g->inside[v] ? 1 : 0;
    while (count < g->n) {
        i64 best = -1, delta = 0;
        for (i64 e = 0; e < g->m; e++) {
            if (g->inside[g->src[e]] == g->inside[g->dst[e]]) continue;
            i64 slack = g->layer[g->dst[e]] - g->layer[g->src[e]] - 1;
            if (best < 0 || slack < delta) {
                best = e;
                delta = slack;
            }
        }
        int tail_inside = g->inside[g->src[best]];
        for (i64 v = 0; v < g->n; v++)
            if (g->inside[v]) g->layer[v] += tail_inside ? delta : -delta;
        g->in_tree[best] = 1;
        i64 outer = tail_inside ? g->dst[best] : g->src[best];
        g->inside[outer] = 1;
        grow(g, outer);
        count = 0;
        for (i64 v = 0; v < g->n; v++) count += g->inside[v] ? 1 : 0;
    }
}

static void number(Net *g, i64 root, i64 parent_edge, i64 first) {
    g->parent[root] = parent_edge;
    i64 counter = first, top = 0;
    g->stack_v[top] = root;
    g->stack_k[top++] = 0;
    g->low[root] = first;
    while (top) {
        i64 v = g->stack_v[top - 1], k = g->stack_k[top - 1];
        if (k < g->adj_len[v]) {
            g->stack_k[top - 1] = k + 1;
            i64 e = g->adj[g->inc_ptr[v] + k];
            if (e == g->parent[v]) continue;
            i64 u = other_end(g, e, v);
            g->parent[u] = e;
            g->low[u] = counter;
            g->stack_v[top] = u;
            g->stack_k[top++] = 0;
        } else {
            top--;
            g->lim[v] = counter;
            g->order[counter] = v;
            counter++;
        }
    }
}

static void cuts(Net *g, i64 lo, i64 hi) {
    g->prefix[0] = 0;
    for (i64 i = lo; i <= hi; i++) g->prefix[i - lo + 1] = g->prefix[i - lo] + g->net[g->order[i]];
    for (i64 i = lo; i <= hi; i++) {
        i64 v = g->order[i], e = g->parent[v];
        if (e < 0) continue;
        i64 d = g->prefix[g->lim[v] - lo + 1] - g->prefix[g->low[v] - lo];
        g->cut[v] = g->dst[e] == v ? d : -d;
    }
}

static void adj_append(Net *g, i64 v, i64 e) { g->adj[g->inc_ptr[v] + g->adj_len[v]++] = e; }

static void adj_remove(Net *g, i64 v, i64 e) {
    i64 *a = g->adj + g->inc_ptr[v];
    for (i64 i = 0; i < g->adj_len[v]; i++)
        if (a[i] == e) {
            memmove(a + i, a + i + 1, (size_t)(g->adj_len[v] - i - 1) * sizeof(i64));
            g->adj_len[v]--;
            return;
        }
}

static int exchange(Net *g, i64 child) {
    i64 e = g->parent[child];
    i64 lo = g->low[child], hi = g->lim[child];
    /* in the subtree below e: numbered lo..hi */
    int head_side_is_sub = g->dst[e] == child;
    i64 f = -1, delta = 0;
    for (i64 c = 0; c < g->m; c++) {
        if (g->in_tree[c]) continue;
        i64 la = g->lim[g->src[c]], lb = g->lim[g->dst[c]];
        int a_in = la >= lo && la <= hi, b_in = lb >= lo && lb <= hi;
        if (head_side_is_sub ? !(a_in && !b_in) : !(!a_in && b_in)) continue;
        i64 slack = g->layer[g->dst[c]] - g->layer[g->src[c]] - 1;
        if (f < 0 || slack < delta) {
            f = c;
            delta = slack;
        }
    }
    if (f < 0) return 0;
    for (i64 i = lo; i <= hi; i++) g->layer[g->order[i]] += head_side_is_sub ? delta : -delta;
    i64 a = g->src[f], b = g->dst[f];
    i64 top = a;
    while (!(g->low[top] <= g->lim[b] && g->lim[b] <= g->lim[top])) {
        i64 pe = g->parent[top];
        top = g->dst[pe] == top ? g->src[pe] : g->dst[pe];
    }
    g->in_tree[e] = 0;
    g->in_tree[f] = 1;
    adj_remove(g, g->src[e], e);
    adj_remove(g, g->dst[e], e);
    adj_append(g, a, f);
    adj_append(g, b, f);
    i64 first = g->low[top], last = g->lim[top];
    number(g, top, g->parent[top], first);
    cuts(g, first, last);
    return 1;
}

static PyObject *py_solve(PyObject *self, PyObject *args) {
    Py_buffer bs, bt, bl;
    long long max_steps;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*L", &bs, &bt, &bl, &max_steps)) return NULL;
    PyObject *result = NULL;
    Net g;
    memset(&g, 0, sizeof g);
    g.n = bl.len / (Py_ssize_t)sizeof(i64);
    g.m = bs.len / (Py_ssize_t)sizeof(i64);
    g.src = bs.buf;
    g.dst = bt.buf;
    g.layer = bl.buf;
    i64 n = g.n, m = g.m;
    if (bt.len != bs.len || n < 1) {
        PyErr_SetString(PyExc_ValueError, "solve: arrays of the wrong sizes");
        goto done;
    }
    for (i64 e = 0; e < m; e++)
        if (g.src[e] < 0 || g.src[e] >= n || g.dst[e] < 0 || g.dst[e] >= n
            || g.src[e] == g.dst[e]) {
            PyErr_SetString(PyExc_ValueError, "solve: an edge's end is no node");
            goto done;
        }
    for (i64 e = 0; e < m; e++)
        if (g.layer[g.dst[e]] - g.layer[g.src[e]] < 1) {
            PyErr_SetString(PyExc_ValueError, "solve: the starting layers are not feasible");
            goto done;
        }
    size_t N = (size_t)n + 1, M = (size_t)(m ? m : 1);
    g.inc_ptr = calloc(N, sizeof(i64));
    g.inc = malloc(2 * M * sizeof(i64));
    g.adj = malloc(2 * M * sizeof(i64));
    g.adj_len = calloc(N, sizeof(i64));
    g.in_tree = calloc(M, 1);
    g.inside = calloc(N, 1);
    g.net = calloc(N, sizeof(i64));
    g.parent = malloc(N * sizeof(i64));
    g.lim = calloc(N, sizeof(i64));
    g.low = calloc(N, sizeof(i64));
    g.order = calloc(N, sizeof(i64));
    g.cut = calloc(N, sizeof(i64));
    g.prefix = malloc((N + 1) * sizeof(i64));
    g.stack_v = malloc(N * sizeof(i64));
    g.stack_k = malloc(N * sizeof(i64));
    g.frontier = malloc(N * sizeof(i64));
    if (!g.inc_ptr || !g.inc || !g.adj || !g.adj_len || !g.in_tree || !g.inside || !g.net
        || !g.parent || !g.lim || !g.low || !g.order || !g.cut || !g.prefix || !g.stack_v
        || !g.stack_k || !g.frontier) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (i64 e = 0; e < m; e++) {
        g.inc_ptr[g.src[e] + 1]++;
        g.inc_ptr[g.dst[e] + 1]++;
        g.net[g.dst[e]]++;
        g.net[g.src[e]]--;
    }
    for (i64 v = 0; v < n; v++) g.inc_ptr[v + 1] += g.inc_ptr[v];
    for (i64 v = 0; v < n; v++) g.adj_len[v] = 0;
    for (i64 e = 0; e < m; e++) {  /* incident lists in edge order, via adj_len as a fill */
        g.inc[g.inc_ptr[g.src[e]] + g.adj_len[g.src[e]]++] = e;
        g.inc[g.inc_ptr[g.dst[e]] + g.adj_len[g.dst[e]]++] = e;
    }
    for (i64 v = 0; v < n; v++) g.adj_len[v] = 0;
    feasible_tree(&g);
    for (i64 e = 0; e < m; e++)  /* the tree's edges at each node, in edge order */
        if (g.in_tree[e]) {
            adj_append(&g, g.src[e], e);
            adj_append(&g, g.dst[e], e);
        }
    for (i64 v = 0; v < n; v++) g.parent[v] = -1;
    number(&g, 0, -1, 0);
    cuts(&g, 0, n - 1);
    for (long long step = 0; step < max_steps; step++) {
        i64 child = 0;
        for (i64 v = 1; v < n; v++)
            if (g.cut[v] < g.cut[child]) child = v;
        if (g.cut[child] >= 0) break;
        if (!exchange(&g, child)) break;
    }
    i64 least = g.layer[0];
    for (i64 v = 1; v < n; v++)
        if (g.layer[v] < least) least = g.layer[v];
    for (i64 v = 0; v < n; v++) g.layer[v] -= least;
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(g.inc_ptr); free(g.inc); free(g.adj); free(g.adj_len); free(g.in_tree);
    free(g.inside); free(g.net); free(g.parent); free(g.lim); free(g.low); free(g.order);
    free(g.cut); free(g.prefix); free(g.stack_v); free(g.stack_k); free(g.frontier);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bl);
    return result;
}

static PyMethodDef methods[] = {
    {"solve", py_solve, METH_VARARGS,
     "solve(src, dst, layer, max_steps)\n\nsimplex.py's _Simplex.solve on one connected "
     "component, compiled: layer (int64) is changed in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_simplex", "Network simplex layering compiled (see simplex.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__simplex(void) { return PyModule_Create(&module); }
