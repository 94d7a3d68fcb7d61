/* Crossing reduction compiled: plain.py's search, sifting and kicks, step for step, for
 * the graphs where plain Python is too slow for them.
 *
 * plain.py is the specification and the oracle this file must agree with
 * (tests/test_layout_native.py compares the two on random graphs: the order of every
 * layer and the crossings). Nodes are numbered by their first slot, so
 * layer k holds nodes start[k] .. start[k + 1] - 1; a segment runs from s[i] in one layer
 * to t[i] in the next.
 *
 * One function is exported, `search(start, s, t, place, min_quit, max_iter, sift_rounds,
 * kicks, one_in, polish)`, plain.py's `search`: every array is a contiguous buffer of
 * int64; `place` (one per node) receives each node's place in its layer; the return
 * value is the crossings of that order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t i64;

typedef struct {
    i64 total, n_layers;
    const i64 *start;   /* n_layers + 1 */
    i64 *layer_of;      /* total */
    i64 *out_ptr, *out; /* CSR: out-neighbours, in segment order */
    i64 *in_ptr, *in;
    i64 *rows;          /* rows[start[k] + i] = node at place i of layer k */
    i64 *place;         /* total */
    i64 *fen;           /* Fenwick tree, max layer width + 1 */
    i64 *buf;           /* scratch, 2 * (max degree + segments of a layer) */
    double *keys;       /* scratch for a sweep */
    i64 *slots, *order; /* scratch */
    i64 max_width, max_seg;
} Graph;

/* ---- crossings ---------------------------------------------------------------------- */

/* Crossings between layer k and k + 1: walking layer k top to bottom, each segment
 * crosses the earlier ones that end below it (the segments of one node all at once,
 * so that they do not count each other). */
static i64 count_layer(Graph *g, i64 k) {
    i64 width = g->start[k + 2] - g->start[k + 1];
    memset(g->fen, 0, (size_t)(width + 1) * sizeof(i64));
    const i64 *row = g->rows + g->start[k];
    i64 c = 0, inserted = 0;
    for (i64 i = 0; i < g->start[k + 1] - g->start[k]; i++) {
        i64 v = row[i];
        for (i64 j = g->out_ptr[v]; j < g->out_ptr[v + 1]; j++) {
            i64 le = 0;  /* earlier segments ending at or above this one's end */
            for (i64 x = g->place[g->out[j]] + 1; x > 0; x -= x & -x) le += g->fen[x];
            c += inserted - le;
        }
        for (i64 j = g->out_ptr[v]; j < g->out_ptr[v + 1]; j++) {
            for (i64 x = g->place[g->out[j]] + 1; x <= width; x += x & -x) g->fen[x]++;
            inserted++;
        }
    }
    return c;
}

static i64 count_all(Graph *g) {
    i64 c = 0;
    for (i64 k = 0; k + 1 < g->n_layers; k++) c += count_layer(g, k);
    return c;
}

/* Crossings between the segments of v and of w on both sides: *above with v above w,
 * *below with w above v. */
static void pair_crossings(Graph *g, i64 v, i64 w, i64 *above, i64 *below) {
    i64 c0 = 0, c1 = 0;
    for (int side = 0; side < 2; side++) {
        const i64 *ptr = side ? g->out_ptr : g->in_ptr, *nb = side ? g->out : g->in;
        for (i64 j = ptr[w]; j < ptr[w + 1]; j++) {
            i64 pb = g->place[nb[j]];
            for (i64 i = ptr[v]; i < ptr[v + 1]; i++) {
                i64 pa = g->place[nb[i]];
                c0 += pa > pb;
                c1 += pa < pb;
            }
        }
    }
    *above = c0;
    *below = c1;
}

/* ---- the search (plain.py `PlainSearch`) -------------------------------------------- */

static void transpose(Graph *g, int reverse, char *candidate) {
    i64 n = g->n_layers;
    for (i64 k = 0; k < n; k++) candidate[k] = 1;
    for (;;) {
        i64 gained = 0;
        for (i64 k = 0; k < n; k++) {
            if (!candidate[k]) continue;
            candidate[k] = 0;
            i64 *row = g->rows + g->start[k];
            i64 width = g->start[k + 1] - g->start[k];
            for (i64 i = 0; i + 1 < width; i++) {
                i64 v = row[i], w = row[i + 1];
                i64 c0, c1;
                pair_crossings(g, v, w, &c0, &c1);
                if (c1 < c0 || (reverse && c0 > 0 && c1 == c0)) {
                    row[i] = w;
                    row[i + 1] = v;
                    g->place[v] = i + 1;
                    g->place[w] = i;
                    gained += c0 - c1;
                    candidate[k] = 1;
                    if (k > 0) candidate[k - 1] = 1;
                    if (k + 1 < n) candidate[k + 1] = 1;
                }
            }
        }
        if (gained < 1) return;
    }
}

typedef struct { double key; i64 tie; i64 v; } Keyed;

static int cmp_keyed(const void *x, const void *y) {
    const Keyed *p = x, *q = y;
    if (p->key != q->key) return p->key < q->key ? -1 : 1;
    if (p->tie != q->tie) return p->tie < q->tie ? -1 : 1;
    return p->v < q->v ? -1 : p->v > q->v;
}

static void sweep(Graph *g, int down, int reverse, Keyed *keyed) {
    const i64 *ptr = down ? g->in_ptr : g->out_ptr, *nb = down ? g->in : g->out;
    i64 n = g->n_layers;
    for (i64 step = 0; step + 1 < n; step++) {
        i64 k = down ? step + 1 : n - 2 - step;
        i64 *row = g->rows + g->start[k];
        i64 width = g->start[k + 1] - g->start[k];
        i64 m = 0;
        for (i64 i = 0; i < width; i++) {
            i64 v = row[i];
            i64 d = ptr[v + 1] - ptr[v];
            if (!d) continue;
            i64 *nbrs = g->buf;
            for (i64 j = 0; j < d; j++) {  /* insertion sort: degrees are small */
                i64 x = g->place[nb[ptr[v] + j]], h = j;
                for (; h > 0 && nbrs[h - 1] > x; h--) nbrs[h] = nbrs[h - 1];
                nbrs[h] = x;
            }
            double key;
            if (d % 2) key = (double)nbrs[d / 2];
            else if (d == 2) key = (double)(nbrs[0] + nbrs[1]) / 2;
            else {
                i64 lo = nbrs[d / 2 - 1], hi = nbrs[d / 2];
                i64 lspan = lo - nbrs[0], rspan = nbrs[d - 1] - hi;
                key = lspan == rspan ? (double)(lo + hi) / 2
                                     : (double)(lo * rspan + hi * lspan) / (double)(lspan + rspan);
            }
            keyed[m].key = key;
            keyed[m].tie = reverse ? -i : i;
            keyed[m].v = v;
            g->slots[m] = i;
            m++;
        }
        if (m <= 32) {  /* (key, tie, v) orders every pair: any sort gives qsort's order */
            for (i64 j = 1; j < m; j++) {
                Keyed x = keyed[j];
                i64 h = j;
                for (; h > 0 && cmp_keyed(&keyed[h - 1], &x) > 0; h--) keyed[h] = keyed[h - 1];
                keyed[h] = x;
            }
        } else {
            qsort(keyed, (size_t)m, sizeof(Keyed), cmp_keyed);
        }
        for (i64 j = 0; j < m; j++) {
            row[g->slots[j]] = keyed[j].v;
            g->place[keyed[j].v] = g->slots[j];
        }
    }
}

static void restore(Graph *g, const i64 *saved) {
    memcpy(g->rows, saved, (size_t)g->total * sizeof(i64));
    for (i64 k = 0; k < g->n_layers; k++)
        for (i64 i = g->start[k]; i < g->start[k + 1]; i++) g->place[saved[i]] = i - g->start[k];
}

typedef struct {
    Graph *g;
    Keyed *keyed;
    char *candidate;
    i64 min_quit;
} Search;

static i64 iterate(Search *s, i64 iterations, i64 best, i64 *saved) {
    Graph *g = s->g;
    i64 trying = 0;
    i64 c = count_all(g);
    for (i64 it = 0; it < iterations; it++) {
        if (trying >= s->min_quit || c == 0) break;
        trying++;
        int reverse = it % 4 < 2;
        sweep(g, it % 2 == 0, reverse, s->keyed);
        transpose(g, !reverse, s->candidate);
        c = count_all(g);
        if (c <= best) {
            if ((double)c < 0.995 * (double)best) trying = 0;
            best = c;
            memcpy(saved, g->rows, (size_t)g->total * sizeof(i64));
        }
    }
    return best;
}

/* plain.py `PlainSearch.bfs`: layers filled breadth first from the nodes with no segment in
 * (`down`) or out, walked in the order of `rows`. */
static void bfs_rows(Graph *g, const i64 *rows, int down, i64 *filled) {
    const i64 *nptr = down ? g->out_ptr : g->in_ptr, *nxt = down ? g->out : g->in;
    const i64 *pptr = down ? g->in_ptr : g->out_ptr;
    i64 total = g->total;
    char *seen = calloc((size_t)total, 1);
    i64 *queue = malloc((size_t)total * sizeof(i64));
    i64 *fill = calloc((size_t)g->n_layers, sizeof(i64));
    for (i64 r = 0; r < total; r++) {
        i64 v = rows[r];
        if (pptr[v + 1] > pptr[v] || seen[v]) continue;
        seen[v] = 1;
        i64 head = 0, tail = 0;
        queue[tail++] = v;
        while (head < tail) {
            i64 u = queue[head++];
            i64 k = g->layer_of[u];
            filled[g->start[k] + fill[k]++] = u;
            for (i64 j = nptr[u]; j < nptr[u + 1]; j++)
                if (!seen[nxt[j]]) {
                    seen[nxt[j]] = 1;
                    queue[tail++] = nxt[j];
                }
        }
    }
    for (i64 r = 0; r < total; r++) {
        i64 v = rows[r];
        if (!seen[v]) {
            i64 k = g->layer_of[v];
            filled[g->start[k] + fill[k]++] = v;
        }
    }
    free(seen);
    free(queue);
    free(fill);
}

/* ---- sifting (plain.py `sift`) ------------------------------------------------------- */

static i64 pair_order(Graph *g, const i64 *ptr, const i64 *nb, i64 v, i64 u) {
    i64 out = 0;
    for (i64 i = ptr[v]; i < ptr[v + 1]; i++) {
        i64 p = g->place[nb[i]];
        for (i64 j = ptr[u]; j < ptr[u + 1]; j++) {
            i64 q = g->place[nb[j]];
            out += (p < q) - (p > q);
        }
    }
    return out;
}

static const Graph *by_degree_graph;

static int cmp_degree(const void *x, const void *y) {
    const Graph *g = by_degree_graph;
    i64 p = *(const i64 *)x, q = *(const i64 *)y;
    i64 dp = (g->in_ptr[p + 1] - g->in_ptr[p]) + (g->out_ptr[p + 1] - g->out_ptr[p]);
    i64 dq = (g->in_ptr[q + 1] - g->in_ptr[q]) + (g->out_ptr[q + 1] - g->out_ptr[q]);
    if (dp != dq) return dp > dq ? -1 : 1; /* most wires first */
    return p < q ? -1 : p > q;             /* then by id: Python's stable sort */
}

static void sift(Graph *g, i64 rounds) {
    i64 *movers = malloc((size_t)(g->max_width + 1) * sizeof(i64));
    i64 *others = malloc((size_t)(g->max_width + 1) * sizeof(i64));
    by_degree_graph = g;
    for (i64 r = 0; r < rounds; r++) {
        int moved = 0;
        for (i64 k = 0; k < g->n_layers; k++) {
            i64 st = g->start[k], width = g->start[k + 1] - st;
            if (width < 2) continue;
            i64 *order = g->order;
            for (i64 v = st; v < st + width; v++) order[g->place[v]] = v;
            for (i64 i = 0; i < width; i++) movers[i] = st + i;
            qsort(movers, (size_t)width, sizeof(i64), cmp_degree);
            for (i64 mi = 0; mi < width; mi++) {
                i64 v = movers[mi];
                i64 here = g->place[v];
                i64 n_others = 0;
                for (i64 i = 0; i < width; i++)
                    if (order[i] != v) others[n_others++] = order[i];
                i64 change = 0, best = 0, now = 0, best_i = 0;
                for (i64 i = 0; i < n_others; i++) {
                    i64 u = others[i];
                    change += pair_order(g, g->in_ptr, g->in, v, u)
                              + pair_order(g, g->out_ptr, g->out, v, u);
                    if (i + 1 == here) now = change;
                    if (change < best) {
                        best = change;
                        best_i = i + 1;
                    }
                }
                if (best < now) {
                    i64 p = 0;
                    for (i64 i = 0; i < n_others; i++) {
                        if (i == best_i) order[p++] = v;
                        order[p++] = others[i];
                    }
                    if (best_i == n_others) order[p++] = v;
                    for (i64 i = 0; i < width; i++) g->place[order[i]] = i;
                    moved = 1;
                }
            }
        }
        if (!moved) break;
    }
    for (i64 k = 0; k < g->n_layers; k++)  /* rows follow places */
        for (i64 v = g->start[k]; v < g->start[k + 1]; v++)
            g->rows[g->start[k] + g->place[v]] = v;
    free(movers);
    free(others);
}

static uint64_t next_random(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* plain.py `PlainSearch.kick`: each pair of neighbours swapped once in `one_in`. */
static void perturb(Graph *g, uint64_t *state, uint64_t one_in) {
    for (i64 k = 0; k < g->n_layers; k++) {
        i64 *row = g->rows + g->start[k];
        i64 width = g->start[k + 1] - g->start[k];
        for (i64 i = 0; i + 1 < width; i++)
            if (next_random(state) % one_in == 0) {
                i64 v = row[i];
                row[i] = row[i + 1];
                row[i + 1] = v;
                g->place[row[i]] = i;
                g->place[row[i + 1]] = i + 1;
            }
    }
}

/* ---- the module ----------------------------------------------------------------------- */

static int csr(i64 total, i64 m, const i64 *from, const i64 *to, i64 **ptr_out, i64 **nb_out) {
    i64 *ptr = calloc((size_t)total + 1, sizeof(i64));
    i64 *nb = malloc((size_t)(m ? m : 1) * sizeof(i64));
    i64 *fill = malloc((size_t)(total ? total : 1) * sizeof(i64));
    if (!ptr || !nb || !fill) { free(ptr); free(nb); free(fill); return -1; }
    for (i64 i = 0; i < m; i++) ptr[from[i] + 1]++;
    for (i64 v = 0; v < total; v++) ptr[v + 1] += ptr[v];
    memcpy(fill, ptr, (size_t)total * sizeof(i64));
    for (i64 i = 0; i < m; i++) nb[fill[from[i]]++] = to[i];
    free(fill);
    *ptr_out = ptr;
    *nb_out = nb;
    return 0;
}

static PyObject *py_search(PyObject *self, PyObject *args) {
    Py_buffer bstart, bs, bt, bplace;
    long long min_quit, max_iter, sift_rounds, kicks = 0, one_in = 10, polish = 4;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*w*LLL|LLL", &bstart, &bs, &bt, &bplace, &min_quit,
                          &max_iter, &sift_rounds, &kicks, &one_in, &polish))
        return NULL;
    PyObject *result = NULL;
    Graph g;
    memset(&g, 0, sizeof g);
    i64 n_layers = bstart.len / (Py_ssize_t)sizeof(i64) - 1;
    i64 m = bs.len / (Py_ssize_t)sizeof(i64);
    const i64 *start = bstart.buf, *s = bs.buf, *t = bt.buf;
    i64 total = n_layers >= 0 ? start[n_layers] : 0;
    if (one_in < 1 || n_layers < 0 || bt.len != bs.len || bplace.len != total * (Py_ssize_t)sizeof(i64)) {
        PyErr_SetString(PyExc_ValueError, "search: arrays of the wrong sizes");
        goto done;
    }
    for (i64 i = 0; i < m; i++)
        if (s[i] < 0 || s[i] >= total || t[i] < 0 || t[i] >= total) {
            PyErr_SetString(PyExc_ValueError, "search: a segment's end is no node");
            goto done;
        }
    for (i64 k = 0; k < n_layers; k++)
        if (start[k + 1] < start[k] || start[0] != 0 || (k == 0 && total < 0)) {
            PyErr_SetString(PyExc_ValueError, "search: layer starts must rise from 0");
            goto done;
        }
    g.total = total;
    g.n_layers = n_layers;
    g.start = start;
    g.place = bplace.buf;
    if (csr(total, m, s, t, &g.out_ptr, &g.out) || csr(total, m, t, s, &g.in_ptr, &g.in)) {
        PyErr_NoMemory();
        goto done;
    }
    i64 alloc = total ? total : 1;
    g.layer_of = malloc((size_t)alloc * sizeof(i64));
    g.rows = malloc((size_t)alloc * sizeof(i64));
    g.order = malloc((size_t)alloc * sizeof(i64));
    g.slots = malloc((size_t)alloc * sizeof(i64));
    if (!g.layer_of || !g.rows || !g.order || !g.slots) {
        PyErr_NoMemory();
        goto done;
    }
    g.max_width = 1;
    for (i64 k = 0; k < n_layers; k++) {
        if (start[k + 1] - start[k] > g.max_width) g.max_width = start[k + 1] - start[k];
        for (i64 v = start[k]; v < start[k + 1]; v++) {
            g.layer_of[v] = k;
            g.rows[v] = v;
            g.place[v] = v - start[k];
        }
    }
    for (i64 i = 0; i < m; i++)
        if (g.layer_of[t[i]] != g.layer_of[s[i]] + 1) {
            PyErr_SetString(PyExc_ValueError, "search: a segment must join neighbouring layers");
            goto done;
        }
    i64 max_deg = 1;
    for (i64 v = 0; v < total; v++) {
        i64 d = g.in_ptr[v + 1] - g.in_ptr[v];
        if (d > max_deg) max_deg = d;
        d = g.out_ptr[v + 1] - g.out_ptr[v];
        if (d > max_deg) max_deg = d;
    }
    g.fen = malloc((size_t)(g.max_width + 2) * sizeof(i64));
    g.buf = malloc((size_t)max_deg * sizeof(i64));
    Keyed *keyed = malloc((size_t)alloc * sizeof(Keyed));
    char *candidate = malloc((size_t)(n_layers ? n_layers : 1));
    i64 *saved = malloc((size_t)alloc * sizeof(i64));
    i64 *initial = malloc((size_t)alloc * sizeof(i64));
    i64 *bfs_down = malloc((size_t)alloc * sizeof(i64));
    i64 *bfs_up = malloc((size_t)alloc * sizeof(i64));
    if (!g.layer_of || !g.rows || !g.order || !g.slots || !g.fen || !g.buf || !keyed
        || !candidate || !saved || !initial || !bfs_down || !bfs_up) {
        PyErr_NoMemory();
    } else {
        i64 best;
        Py_BEGIN_ALLOW_THREADS
        Search sr = {&g, keyed, candidate, (i64)min_quit};
        best = count_all(&g);
        memcpy(saved, g.rows, (size_t)total * sizeof(i64));
        memcpy(initial, g.rows, (size_t)total * sizeof(i64));
        bfs_rows(&g, initial, 1, bfs_down);
        bfs_rows(&g, initial, 0, bfs_up);
        const i64 *starts[3] = {initial, bfs_down, bfs_up};
        for (int j = 0; j < 3; j++) {
            if (best == 0) break;
            restore(&g, starts[j]);
            transpose(&g, 0, candidate);
            i64 c = count_all(&g);
            if (c <= best) {
                best = c;
                memcpy(saved, g.rows, (size_t)total * sizeof(i64));
            }
            best = iterate(&sr, 4, best, saved);
        }
        restore(&g, saved);
        best = iterate(&sr, (i64)max_iter, best, saved);
        restore(&g, saved);
        transpose(&g, 0, candidate);
        i64 c = count_all(&g);
        if (c < best) best = c;
        if (best && sift_rounds > 0) {
            sift(&g, (i64)sift_rounds);
            best = count_all(&g);
        }
        if (best && kicks > 0) {
            uint64_t state = 0x9E3779B97F4A7C15ull;
            memcpy(saved, g.rows, (size_t)total * sizeof(i64));
            for (i64 r = 0; r < kicks && best; r++) {
                restore(&g, saved);
                perturb(&g, &state, (uint64_t)one_in);
                transpose(&g, 1, candidate);
                i64 local = count_all(&g);
                memcpy(initial, g.rows, (size_t)total * sizeof(i64));
                local = iterate(&sr, polish, local, initial);
                restore(&g, initial);
                if (sift_rounds > 0) sift(&g, (i64)sift_rounds);
                i64 c2 = count_all(&g);
                if (c2 < best) {
                    best = c2;
                    memcpy(saved, g.rows, (size_t)total * sizeof(i64));
                }
            }
            restore(&g, saved);
        }
        Py_END_ALLOW_THREADS
        result = PyLong_FromLongLong((long long)best);
    }
    free(keyed); free(candidate); free(saved); free(initial); free(bfs_down);
    free(bfs_up);
done:
    free(g.out_ptr); free(g.out); free(g.in_ptr); free(g.in); free(g.layer_of); free(g.rows);
    free(g.order); free(g.slots); free(g.fen); free(g.buf);
    PyBuffer_Release(&bstart);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bt);
    PyBuffer_Release(&bplace);
    return result;
}

static PyMethodDef methods[] = {
    {"search", py_search, METH_VARARGS,
     "search(start, s, t, place, min_quit, max_iter, sift_rounds) -> crossings\n\n"
     "plain.py's search, compiled: place receives each node's place in its layer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ordering", "Crossing reduction compiled (see order.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ordering(void) { return PyModule_Create(&module); }
