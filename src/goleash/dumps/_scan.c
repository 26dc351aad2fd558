/*
 * goleash.dumps._scan: the traceback fast path's whole-chunk pass in one C loop.
 *
 * split_records(text) returns exactly what these Python lines of traceback._Parser._fast
 * compute (tests compare both on real and random input), without their three regex passes:
 *
 *     t = b"()\n".join(_ARGS_LINE.split(text))
 *     if t.find(b" fp=0x", 0, 1 << 16) >= 0:
 *         t = _REGISTERS.sub(b"\n", t)
 *     cut = _PARENT_LINE.split(t)
 *     parents = cut[1::2]
 *     ... t = b"\n" + (cut joined with the parent mark)[:-1]
 *     pieces = _SPLIT.split(t)
 *     return pieces, parents
 *
 * Every pattern ends at a newline and matches inside one line, so each is applied line by line:
 *   arguments  "f(a, b)\n"                      -> "f()\n"    (the last "(" of a line ending
 *                                                  with ")" when no ")" lies between them)
 *   registers  " fp=0x1 sp=0x2 pc=0x3\n"        -> "\n"       (only when the first 64 KiB
 *                                                  of the text has " fp=0x", as in Python)
 *   parent     " in goroutine 17\n"             -> " in goroutine 1\n" (1 to 19 digits)
 * and headers are found at line starts: "goroutine ID [gp=... m=... ]" followed by
 * "[state]:" or "[state] {labels}:" and a newline.
 *
 * The input is untrusted: every read is bounded by the buffer's length.
 *
 * parent_pairs(...) is builder.parent_pairs (the parent facts' pass over every goroutine) with
 * hash maps of its own instead of a set, a dict and a Counter of Python ints.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static const char PARENT[] = " in goroutine ";
#define PARENT_LEN 14
static const char MARK[] = " in goroutine 1";
#define MARK_LEN 15

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of line [s, e) once its blanked arguments end in "()": unchanged when it has none. */
static Py_ssize_t blank_arguments(const char *s, Py_ssize_t len, char *out)
{
    if (len > 0 && s[len - 1] == ')') {
        const char *open = NULL;
        for (Py_ssize_t i = len - 2; i >= 0; i--) {
            if (s[i] == '(') {
                open = s + i;
                break;
            }
            if (s[i] == ')')
                break;
        }
        if (open != NULL) {
            Py_ssize_t head = open - s;
            memmove(out, s, head);
            out[head] = '(';
            out[head + 1] = ')';
            return head + 2;
        }
    }
    memmove(out, s, len);
    return len;
}

/* Start of a run of [0-9a-f] that ends at `end` (exclusive) and begins after `from`, or -1. */
static Py_ssize_t hex_run(const char *s, Py_ssize_t from, Py_ssize_t end)
{
    Py_ssize_t i = end;
    while (i > from && is_hex(s[i - 1]))
        i--;
    return i < end ? i : -1;
}

/* Where " fp=0xH sp=0xH pc=0xH" begins if line s[0:len] ends with it, else len. */
static Py_ssize_t registers_start(const char *s, Py_ssize_t len)
{
    static const char *const names[3] = {" pc=0x", " sp=0x", " fp=0x"};
    Py_ssize_t end = len;
    for (int k = 0; k < 3; k++) {
        Py_ssize_t h = hex_run(s, 0, end);
        if (h < 6 || memcmp(s + h - 6, names[k], 6) != 0)
            return len;
        end = h - 6;
    }
    return end;
}

/* Where " in goroutine D" (1 to 19 digits, to the end) begins in s[0:len], else -1. */
static Py_ssize_t parent_start(const char *s, Py_ssize_t len)
{
    Py_ssize_t i = len;
    while (i > 0 && is_digit(s[i - 1]))
        i--;
    Py_ssize_t digits = len - i;
    if (digits < 1 || digits > 19 || i < PARENT_LEN)
        return -1;
    if (memcmp(s + i - PARENT_LEN, PARENT, PARENT_LEN) != 0)
        return -1;
    return i - PARENT_LEN;
}

/* Whether t[q:] starts with "[...]" then ":" or " {...}:" and a newline (the header's rest). */
static int header_rest(const char *t, Py_ssize_t q, Py_ssize_t n)
{
    if (q >= n || t[q] != '[')
        return 0;
    Py_ssize_t i = q + 1;
    while (i < n && t[i] != ']' && t[i] != '\n')
        i++;
    if (i >= n || t[i] != ']')
        return 0;
    const char *nl = memchr(t + i + 1, '\n', n - i - 1);
    if (nl == NULL)
        return 0;
    Py_ssize_t r = i + 1, e = nl - t; /* the rest of the line after "]": t[r:e] */
    if (e - r == 1 && t[r] == ':')
        return 1;
    return e - r >= 4 && t[r] == ' ' && t[r + 1] == '{' && t[e - 2] == '}' && t[e - 1] == ':';
}

/* "0x" hex+ or "nil" at t[i:]; the index after it, or -1. */
static Py_ssize_t hex_or_nil(const char *t, Py_ssize_t i, Py_ssize_t n)
{
    if (i + 2 < n && t[i] == '0' && t[i + 1] == 'x' && is_hex(t[i + 2])) {
        i += 2;
        while (i < n && is_hex(t[i]))
            i++;
        return i;
    }
    if (i + 3 <= n && memcmp(t + i, "nil", 3) == 0)
        return i + 3;
    return -1;
}

/* "gp=(0xH|nil) m=(D mp=0xH|nil) " at t[i:]; the index after it, or -1. */
static Py_ssize_t gp_part(const char *t, Py_ssize_t i, Py_ssize_t n)
{
    if (i + 3 > n || memcmp(t + i, "gp=", 3) != 0)
        return -1;
    i = hex_or_nil(t, i + 3, n);
    if (i < 0 || i + 3 > n || memcmp(t + i, " m=", 3) != 0)
        return -1;
    i += 3;
    if (i < n && is_digit(t[i])) {
        while (i < n && is_digit(t[i]))
            i++;
        if (i + 6 > n || memcmp(t + i, " mp=0x", 6) != 0)
            return -1;
        Py_ssize_t h = i + 6;
        i = h;
        while (i < n && is_hex(t[i]))
            i++;
        if (i == h)
            return -1;
    } else if (i + 3 <= n && memcmp(t + i, "nil", 3) == 0) {
        i += 3;
    } else {
        return -1;
    }
    return i < n && t[i] == ' ' ? i + 1 : -1;
}

static int append_bytes(PyObject *list, const char *s, Py_ssize_t len)
{
    PyObject *b = PyBytes_FromStringAndSize(s, len);
    if (b == NULL)
        return -1;
    int r = PyList_Append(list, b);
    Py_DECREF(b);
    return r;
}

/* Split t[0:n] at goroutine headers, as _SPLIT.split does. */
static PyObject *split_headers(const char *t, Py_ssize_t n)
{
    PyObject *pieces = PyList_New(0);
    if (pieces == NULL)
        return NULL;
    Py_ssize_t last = 0; /* where the current piece starts */
    const char *p = t;
    while ((p = memchr(p, '\n', n - (p - t))) != NULL) {
        Py_ssize_t at = p - t;
        p++;
        Py_ssize_t i = at + 1;
        if (i + 10 > n || memcmp(t + i, "goroutine ", 10) != 0)
            continue;
        i += 10;
        Py_ssize_t id = i;
        while (i < n && is_digit(t[i]) && i - id < 20)
            i++;
        if (i == id || i - id > 19 || i >= n || t[i] != ' ')
            continue;
        Py_ssize_t id_end = i++;
        Py_ssize_t gp = -1, gp_end = gp_part(t, i, n);
        if (gp_end >= 0) {
            gp = i;
            i = gp_end;
        }
        if (!header_rest(t, i, n))
            continue;
        if (append_bytes(pieces, t + last, at - last) < 0 ||
            append_bytes(pieces, t + id, id_end - id) < 0)
            goto error;
        if (gp >= 0) {
            if (append_bytes(pieces, t + gp, gp_end - gp) < 0)
                goto error;
        } else if (PyList_Append(pieces, Py_None) < 0) {
            goto error;
        }
        last = i;
        p = t + i;
    }
    if (append_bytes(pieces, t + last, n - last) < 0)
        goto error;
    return pieces;
error:
    Py_DECREF(pieces);
    return NULL;
}

static PyObject *split_records(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const char *text = view.buf;
    Py_ssize_t n = view.len;
    PyObject *result = NULL, *parents = NULL, *pieces = NULL;
    /* Every rewrite shortens a line or keeps it; one more byte for the leading newline. */
    char *blanked = PyMem_Malloc(n + 1), *t = PyMem_Malloc(n + 2);
    if (blanked == NULL || t == NULL) {
        PyErr_NoMemory();
        goto done;
    }

    /* Arguments, line by line (a last line with no newline is left as it is). */
    Py_ssize_t b = 0;
    for (Py_ssize_t s = 0; s < n;) {
        const char *nl = memchr(text + s, '\n', n - s);
        if (nl == NULL) {
            memmove(blanked + b, text + s, n - s);
            b += n - s;
            break;
        }
        Py_ssize_t e = nl - text;
        b += blank_arguments(text + s, e - s, blanked + b);
        blanked[b++] = '\n';
        s = e + 1;
    }

    /* Registers when the first 64 KiB shows them, then parent ids. */
    static const char FP[] = " fp=0x";
    Py_ssize_t window = b < (1 << 16) ? b : (1 << 16);
    int registers = 0;
    for (Py_ssize_t i = 0; i + 6 <= window; i++) {
        if (blanked[i] == ' ' && memcmp(blanked + i, FP, 6) == 0) {
            registers = 1;
            break;
        }
    }
    parents = PyList_New(0);
    if (parents == NULL)
        goto done;
    Py_ssize_t m = 0;
    t[m++] = '\n';
    Py_ssize_t tail = 0; /* bytes after the last parent line, as the last piece of the cut */
    for (Py_ssize_t s = 0; s < b;) {
        const char *nl = memchr(blanked + s, '\n', b - s);
        Py_ssize_t e = nl == NULL ? b : nl - blanked;
        Py_ssize_t len = e - s;
        if (nl != NULL) {
            if (registers)
                len = registers_start(blanked + s, len);
            Py_ssize_t ps = parent_start(blanked + s, len);
            if (ps >= 0) {
                if (append_bytes(parents, blanked + s + ps + PARENT_LEN, len - ps - PARENT_LEN) < 0)
                    goto done;
                memmove(t + m, blanked + s, ps);
                memcpy(t + m + ps, MARK, MARK_LEN);
                m += ps + MARK_LEN;
                t[m++] = '\n';
                tail = 0;
                s = e + 1;
                continue;
            }
        }
        memmove(t + m, blanked + s, len);
        m += len;
        tail += len;
        if (nl != NULL) {
            t[m++] = '\n';
            tail++;
        }
        s = e + (nl != NULL);
    }
    /* Python drops the last byte of the last piece of the cut (of the whole text when no line
       named a parent): nothing when that piece is empty. */
    if (PyList_GET_SIZE(parents) == 0 || tail > 0)
        m = m > 1 ? m - 1 : 1;

    pieces = split_headers(t, m);
    if (pieces == NULL)
        goto done;
    result = PyTuple_Pack(2, pieces, parents);
done:
    Py_XDECREF(pieces);
    Py_XDECREF(parents);
    PyMem_Free(blanked);
    PyMem_Free(t);
    PyBuffer_Release(&view);
    return result;
}

/* --- parent facts -------------------------------------------------------------------------- */

/* An open-addressing map from uint64 to uint64; keys are stored + 1, so 0 marks a free slot
   (goroutine ids have at most 19 digits: id + 1 never wraps). */
typedef struct {
    unsigned long long *keys, *values;
    size_t mask;
} U64Map;

static int map_init(U64Map *m, size_t entries)
{
    size_t size = 16;
    while (size < entries * 2)
        size <<= 1;
    m->keys = PyMem_Calloc(size, sizeof(unsigned long long));
    m->values = PyMem_Calloc(size, sizeof(unsigned long long));
    m->mask = size - 1;
    if (m->keys == NULL || m->values == NULL) {
        PyMem_Free(m->keys);
        PyMem_Free(m->values);
        m->keys = m->values = NULL;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void map_free(U64Map *m)
{
    PyMem_Free(m->keys);
    PyMem_Free(m->values);
}

static size_t map_slot(const U64Map *m, unsigned long long key)
{
    unsigned long long stored = key + 1, h = stored * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 17) & m->mask;
    while (m->keys[i] != 0 && m->keys[i] != stored)
        i = (i + 1) & m->mask;
    return i;
}

/* A read-only view of an array.array of the given typecode size; -1 with an error if not. */
static int get_array(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != itemsize || view->ndim != 1) {
        PyErr_Format(PyExc_TypeError, "%s: an array of %zd-byte items is expected", what,
                     itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *parent_pairs(PyObject *module, PyObject *args)
{
    PyObject *ids_obj, *groups_obj, *parents_obj, *parent_groups_obj;
    unsigned long long width;
    if (!PyArg_ParseTuple(args, "OOOOK", &ids_obj, &groups_obj, &parents_obj, &parent_groups_obj,
                          &width))
        return NULL;
    Py_buffer ids, groups, parents, parent_groups;
    if (get_array(ids_obj, &ids, 8, "ids") < 0)
        return NULL;
    PyObject *result = NULL;
    U64Map alive = {0}, pairs = {0};
    int have_groups = 0, have_parents = 0, have_parent_groups = 0;
    if (get_array(groups_obj, &groups, 4, "groups") < 0)
        goto done;
    have_groups = 1;
    if (get_array(parents_obj, &parents, 8, "parents") < 0)
        goto done;
    have_parents = 1;
    if (get_array(parent_groups_obj, &parent_groups, 4, "parent groups") < 0)
        goto done;
    have_parent_groups = 1;
    Py_ssize_t n = ids.len / 8, np = parents.len / 8;
    if (groups.len / 4 != n || parent_groups.len / 4 != np) {
        PyErr_SetString(PyExc_ValueError, "ids and groups differ in length");
        goto done;
    }
    const unsigned long long *id = ids.buf, *parent = parents.buf;
    const unsigned int *group = groups.buf, *parent_group = parent_groups.buf;
    if (map_init(&alive, (size_t)np) < 0)
        goto done;
    /* Only ids that are somebody's parent are kept: memory follows parents, not goroutines. */
    for (Py_ssize_t i = 0; i < np; i++)
        alive.keys[map_slot(&alive, parent[i])] = parent[i] + 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        size_t s = map_slot(&alive, id[i]);
        if (alive.keys[s] != 0)
            alive.values[s] = (unsigned long long)group[i] + 1; /* the last one wins */
    }
    if (map_init(&pairs, 1024) < 0)
        goto done;
    size_t used = 0;
    for (Py_ssize_t i = 0; i < np; i++) {
        unsigned long long code = parent_group[i] * width + alive.values[map_slot(&alive, parent[i])];
        size_t s = map_slot(&pairs, code);
        if (pairs.keys[s] == 0) {
            if ((used + 1) * 2 > pairs.mask + 1) { /* grow, then look again */
                U64Map bigger;
                if (map_init(&bigger, (pairs.mask + 1)) < 0)
                    goto done;
                for (size_t k = 0; k <= pairs.mask; k++) {
                    if (pairs.keys[k] != 0) {
                        size_t t = map_slot(&bigger, pairs.keys[k] - 1);
                        bigger.keys[t] = pairs.keys[k];
                        bigger.values[t] = pairs.values[k];
                    }
                }
                map_free(&pairs);
                pairs = bigger;
                s = map_slot(&pairs, code);
            }
            pairs.keys[s] = code + 1;
            used++;
        }
        pairs.values[s]++;
    }
    result = PyDict_New();
    if (result == NULL)
        goto done;
    for (size_t k = 0; k <= pairs.mask; k++) {
        if (pairs.keys[k] == 0)
            continue;
        PyObject *key = PyLong_FromUnsignedLongLong(pairs.keys[k] - 1);
        PyObject *value = PyLong_FromUnsignedLongLong(pairs.values[k]);
        int r = key == NULL || value == NULL ? -1 : PyDict_SetItem(result, key, value);
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (r < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    map_free(&alive);
    map_free(&pairs);
    PyBuffer_Release(&ids);
    if (have_groups)
        PyBuffer_Release(&groups);
    if (have_parents)
        PyBuffer_Release(&parents);
    if (have_parent_groups)
        PyBuffer_Release(&parent_groups);
    return result;
}

static PyMethodDef methods[] = {
    {"split_records", split_records, METH_O,
     "split_records(text) -> (pieces, parents): the fast path's whole-chunk pass."},
    {"parent_pairs", parent_pairs, METH_VARARGS,
     "parent_pairs(ids, groups, parents, parent_groups, width) -> {code: count}: see "
     "builder.parent_pairs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "goleash.dumps._scan",
    "The traceback fast path's whole-chunk pass in C (see traceback._Parser._fast).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
