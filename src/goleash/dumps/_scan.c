/*
 * goleash.dumps._scan: the traceback parser's passes over every goroutine, in C. Each function
 * returns exactly what a Python function returns (tests compare both on real and random input);
 * the Python ones run where no compiler was at hand.
 *
 * Records.count(text) is traceback._Records.count on traceback.count_chunk: the fast path's
 * whole-chunk pass, without its three regex passes and dicts of bytes objects:
 *
 *     t = b"()\n".join(_ARGS_LINE.split(text))
 *     if t.find(b" fp=0x", 0, 1 << 16) >= 0:
 *         t = _REGISTERS.sub(b"\n", t)
 *     cut = _PARENT_LINE.split(t)
 *     parents = cut[1::2]
 *     ... t = b"\n" + (cut joined with the parent mark)[:-1]
 *     pieces = _SPLIT.split(t)
 *     ... wait minutes taken out of each record's header (their range kept per record),
 *     ... identical records counted and numbered across chunks, each goroutine's id kept
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
 * plain_stack(...) is traceback._Parser._plain_shape for the stacks it reads (others: None),
 * through a TextCache of names (name -> str) the parser keeps for a whole read; read_stack(...)
 * goes on to _Parser._stack's _Stack.
 *
 * signatures(...) is [model.signature_of(...) for each group]: the text it hashes, then
 * BLAKE2b with an 8-byte digest (RFC 7693; tests compare it with hashlib's) in hex.
 *
 * first_ids(...) is builder._first_ids: each group's first goroutine ids.
 *
 * parent_facts(...) is builder._parent_facts (the parent facts: a pass over every goroutine,
 * then one over distinct pairs of groups) with a table indexed by id (or a hash map when ids
 * are far apart) instead of a set and a dict, and sorted pair codes instead of a Counter.
 *
 * The input is untrusted: every read is bounded by the buffer's length.
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

/* A growable array of fixed-size items, freed with PyMem_RawFree(buf). Raw allocation and no
   Python error on failure: scans run without the GIL (the caller says "out of memory"). */
typedef struct {
    char *buf;
    Py_ssize_t len, cap, itemsize;
} Vec;

static void *vec_push(Vec *v)
{
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 256;
        char *buf = PyMem_RawRealloc(v->buf, cap * v->itemsize);
        if (buf == NULL)
            return NULL;
        v->buf = buf;
        v->cap = cap;
    }
    return v->buf + v->itemsize * v->len++;
}

static unsigned long long digits_value(const char *s, Py_ssize_t len)
{
    unsigned long long v = 0;
    for (Py_ssize_t i = 0; i < len; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0');
    return v;
}

/* The text with arguments blanked, registers removed (when the first 64 KiB shows them) and
   parent ids blanked, behind a newline, as traceback.split_chunk makes it before its split;
   the parent ids go to `parents` (uint64 items). NULL if memory runs out (no Python error set:
   this runs without the GIL). */
static char *blank(const char *text, Py_ssize_t n, Py_ssize_t *out_len, Vec *parents)
{
    /* One buffer: arguments are blanked into t[1:], then registers and parent ids are taken
       out of it in place, behind a newline at t[0]. Every rewrite shortens a line or keeps it,
       so no byte is written before it was read. */
    char *t = PyMem_RawMalloc(n + 2);
    if (t == NULL)
        return NULL;
    char *blanked = t + 1;
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
                unsigned long long *id = vec_push(parents);
                if (id == NULL) {
                    PyMem_RawFree(t);
                    return NULL;
                }
                *id = digits_value(blanked + s + ps + PARENT_LEN, len - ps - PARENT_LEN);
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
    if (parents->len == 0 || tail > 0)
        m = m > 1 ? m - 1 : 1;
    *out_len = m;
    return t;
}

/* The next goroutine header line after a newline at or after *p in t[0:n], as _SPLIT finds
   it: 1 with the newline's offset, the id's span, the gp= part's span (-1 when none) and
   where the record after them starts; 0 when there is none. */
typedef struct {
    Py_ssize_t at, id, id_end, gp, gp_end, record;
} Header;

static int next_header(const char *t, Py_ssize_t n, Py_ssize_t *from, Header *h)
{
    const char *p = t + *from;
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
        h->at = at;
        h->id = id;
        h->id_end = id_end;
        h->gp = gp;
        h->gp_end = gp_end;
        h->record = i;
        *from = i;
        return 1;
    }
    return 0;
}

/* Whether s[0:len] is "D minute" or "D minutes" (D: 1 or more digits, as _MINUTES reads it);
   the number of digits, else 0. */
static Py_ssize_t minutes_part(const char *s, Py_ssize_t len)
{
    Py_ssize_t d = 0;
    while (d < len && is_digit(s[d]))
        d++;
    if (d == 0)
        return 0;
    Py_ssize_t rest = len - d;
    if ((rest == 7 || (rest == 8 && s[len - 1] == 's')) && memcmp(s + d, " minute", 7) == 0)
        return d;
    return 0;
}

/* The end of the status part that starts at s[part] (the next ", " or `stop`). */
static Py_ssize_t part_end(const char *s, Py_ssize_t part, Py_ssize_t stop)
{
    Py_ssize_t e = part;
    while (e < stop && !(s[e] == ',' && e + 1 < stop && s[e + 1] == ' '))
        e++;
    return e;
}

/* Wait minutes taken out of the header of the record s[0:len] (it starts at its "[status]"):
   every ", D minutes" part after the first part of the status is removed, so goroutines that
   differ only in how long they waited, or in whether the runtime said so, share a record. The
   record's new length; *wait is the minutes the header says (its last such part), or -1 when
   nothing was removed (none, or a number of more than 18 digits: those records stay as they
   are). As count_chunk's _without_minutes. */
static Py_ssize_t without_minutes(char *s, Py_ssize_t len, long long *wait)
{
    *wait = -1;
    const char *close = memchr(s, ']', len);
    if (close == NULL)
        return len;
    Py_ssize_t stop = close - s;
    long long value = -1;
    /* First pass: the minutes parts, and whether all of them read. */
    for (Py_ssize_t part = part_end(s, 1, stop) + 2; part <= stop;) {
        Py_ssize_t e = part_end(s, part, stop), d = minutes_part(s + part, e - part);
        if (d > 18)
            return len;
        if (d > 0)
            value = (long long)digits_value(s + part, d);
        part = e + 2;
    }
    if (value < 0)
        return len;
    /* Second pass: the other parts moved up over the minutes parts, then the rest. */
    Py_ssize_t w = part_end(s, 1, stop);
    for (Py_ssize_t part = w + 2; part <= stop;) {
        Py_ssize_t e = part_end(s, part, stop);
        if (minutes_part(s + part, e - part) == 0) {
            s[w++] = ',';
            s[w++] = ' ';
            memmove(s + w, s + part, e - part);
            w += e - part;
        }
        part = e + 2;
    }
    memmove(s + w, s + stop, len - stop);
    *wait = value;
    return w + len - stop;
}

static unsigned long long hash_bytes(const char *s, Py_ssize_t len, unsigned long long seed)
{
    /* A multiply-xorshift hash, 8 bytes at a time: record texts are long and mostly alike at
       their start, so every byte counts; probes are bounded by the caller. */
    unsigned long long h = seed ^ 0x9E3779B97F4A7C15ULL ^ (unsigned long long)len;
    Py_ssize_t i = 0;
    for (; i + 8 <= len; i += 8) {
        unsigned long long w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    unsigned long long w = 0;
    memcpy(&w, s + i, len - i);
    h = (h ^ w) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

static PyObject *new_array(PyObject *array_type, const char *code, const void *buf,
                           Py_ssize_t len)
{
    /* y# makes None of a NULL buffer: an empty vector has none */
    return PyObject_CallFunction(array_type, "sy#", code, buf ? (const char *)buf : "", len);
}

/* --- records kept across chunks ------------------------------------------------------------ */

/* A set of goroutine ids: open addressing, id + 1 stored (ids have at most 19 digits: it never
   wraps), 0 marks a free slot. The records keep the ids seen in a dump in one; parent_facts
   finds parents' groups through one (by slot). */
typedef struct {
    unsigned long long *slots;
    Py_ssize_t mask, len;
} IdSet;

static Py_ssize_t idset_slot(const IdSet *set, unsigned long long id)
{
    unsigned long long stored = id + 1;
    Py_ssize_t k = (Py_ssize_t)((stored * 0x9E3779B97F4A7C15ULL) >> 20) & set->mask;
    while (set->slots[k] != 0 && set->slots[k] != stored)
        k = (k + 1) & set->mask;
    return k;
}

static int idset_has(const IdSet *set, unsigned long long id)
{
    return set->slots != NULL && set->slots[idset_slot(set, id)] != 0;
}

/* 1 when added, 0 when it was there already, -1 with MemoryError. */
static int idset_add(IdSet *set, unsigned long long id)
{
    if ((set->len + 1) * 2 > (set->slots == NULL ? 0 : set->mask + 1)) {
        Py_ssize_t size = set->slots == NULL ? 64 : (set->mask + 1) * 2;
        unsigned long long *old = set->slots;
        Py_ssize_t old_size = old == NULL ? 0 : set->mask + 1;
        set->slots = PyMem_Calloc((size_t)size, sizeof(unsigned long long));
        if (set->slots == NULL) {
            set->slots = old;
            PyErr_NoMemory();
            return -1;
        }
        set->mask = size - 1;
        for (Py_ssize_t k = 0; k < old_size; k++)
            if (old[k] != 0)
                set->slots[idset_slot(set, old[k] - 1)] = old[k];
        PyMem_Free(old);
    }
    Py_ssize_t k = idset_slot(set, id);
    if (set->slots[k] != 0)
        return 0;
    set->slots[k] = id + 1;
    set->len++;
    return 1;
}

static void idset_clear(IdSet *set)
{
    PyMem_Free(set->slots);
    set->slots = NULL;
    set->mask = set->len = 0;
}

/* Records: the distinct record texts of the dump being read, numbered in the order first seen
   and kept across chunks, so a record seen in an earlier chunk costs a hash and a memcmp, never
   a bytes object or a Python dict lookup. A count() is tentative until commit(): the next
   count() (or clear()) forgets what an uncommitted one added, as the fast path forgets a chunk
   it refuses. traceback._Records is the same in Python (the reference, and the fallback). */
typedef struct {
    unsigned long long hash;
    PyObject *text;                 /* bytes */
    Py_ssize_t count;               /* committed goroutines not yet taken */
    long long wait_min, wait_max;   /* of those, the minutes taken out of their headers; -1 */
    Py_ssize_t in_chunk;            /* its entry in the current chunk, or -1 */
} Kept;

typedef struct {
    Py_ssize_t record, count;
    long long wait_min, wait_max;
    int gp;
} ChunkEntry;

typedef struct {
    PyObject_HEAD
    Vec kept;             /* Kept items: the records, by number */
    Py_ssize_t committed; /* records [0, committed) are kept for good */
    Py_ssize_t *table, mask;
    Vec chunk;            /* ChunkEntry items: the records of the last count() */
    unsigned long long seed;
    IdSet seen;           /* goroutine ids of the dump so far, at most seen_cap of them */
    Py_ssize_t seen_cap;
    Vec last_ids;         /* uint64 ids of the last count(), seen once it is committed */
    /* Held by whatever changes the records or their table (count, clear) and by a scan
       matching its goroutines to them in a thread; `epoch` counts the changes that remove
       records, which make such matches stale. */
    PyThread_type_lock lock;
    unsigned long long epoch;
} Records;

#define KEPT(self) ((Kept *)(self)->kept.buf)
#define CHUNK(self) ((ChunkEntry *)(self)->chunk.buf)

static void records_place(Records *self, Py_ssize_t r)
{
    Py_ssize_t k = (Py_ssize_t)(KEPT(self)[r].hash & self->mask);
    while (self->table[k] >= 0)
        k = (k + 1) & self->mask;
    self->table[k] = r;
}

/* The hash table sized for `entries` records, every kept record placed again. */
static int records_rehash(Records *self, Py_ssize_t entries)
{
    Py_ssize_t size = 1024;
    while (size < entries * 2)
        size <<= 1;
    Py_ssize_t *table = PyMem_Malloc(size * sizeof(Py_ssize_t));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < size; k++)
        table[k] = -1;
    PyMem_Free(self->table);
    self->table = table;
    self->mask = size - 1;
    for (Py_ssize_t r = 0; r < self->kept.len; r++)
        records_place(self, r);
    return 0;
}

/* Forget the records and counts of a count() that was not committed. */
static int records_rollback(Records *self)
{
    for (Py_ssize_t e = 0; e < self->chunk.len; e++) {
        Py_ssize_t r = CHUNK(self)[e].record;
        if (r < self->kept.len)
            KEPT(self)[r].in_chunk = -1;
    }
    self->chunk.len = 0;
    if (self->kept.len == self->committed)
        return 0;
    for (Py_ssize_t r = self->committed; r < self->kept.len; r++)
        Py_CLEAR(KEPT(self)[r].text);
    self->kept.len = self->committed;
    self->epoch++;
    return records_rehash(self, self->kept.len);
}

static void records_clear_all(Records *self)
{
    self->epoch++;
    for (Py_ssize_t r = 0; r < self->kept.len; r++)
        Py_CLEAR(KEPT(self)[r].text);
    self->kept.len = self->committed = self->chunk.len = 0;
}

static void records_dealloc(Records *self)
{
    records_clear_all(self);
    idset_clear(&self->seen);
    PyMem_RawFree(self->last_ids.buf);
    PyMem_RawFree(self->kept.buf);
    PyMem_Free(self->table);
    PyMem_RawFree(self->chunk.buf);
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *records_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    unsigned long long seed;
    Py_ssize_t seen_cap = 65536;
    static char *names[] = {"seed", "seen_ids", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "K|n", names, &seed, &seen_cap))
        return NULL;
    Records *self = (Records *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->seed = seed; /* secret: texts crafted to collide cannot be written in advance */
    self->seen_cap = seen_cap;
    self->last_ids = (Vec){NULL, 0, 0, sizeof(unsigned long long)};
    self->kept = (Vec){NULL, 0, 0, sizeof(Kept)};
    self->chunk = (Vec){NULL, 0, 0, sizeof(ChunkEntry)};
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    if (records_rehash(self, 0) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* The number of the record s[0:len] with this hash, made (uncommitted) if new: -1 with an
   error set, -2 when probing went on too long (texts that collide). `*made` is set when new. */
static Py_ssize_t records_find(Records *self, const char *s, Py_ssize_t len,
                               unsigned long long hash, Py_ssize_t *probes, int *made)
{
    *made = 0;
    if ((self->kept.len + 1) * 2 > self->mask + 1 && records_rehash(self, self->kept.len + 1) < 0)
        return -1;
    Py_ssize_t k = (Py_ssize_t)(hash & self->mask);
    while (self->table[k] >= 0) {
        Kept *r = KEPT(self) + self->table[k];
        if (r->hash == hash && PyBytes_GET_SIZE(r->text) == len &&
            memcmp(PyBytes_AS_STRING(r->text), s, len) == 0)
            return self->table[k];
        k = (k + 1) & self->mask;
        if (++*probes > 64 * (self->kept.len + 1024))
            return -2;
    }
    PyObject *text = PyBytes_FromStringAndSize(s, len);
    if (text == NULL)
        return -1;
    Kept *r = vec_push(&self->kept);
    if (r == NULL) {
        Py_DECREF(text);
        PyErr_NoMemory();
        return -1;
    }
    r->hash = hash;
    r->text = text;
    r->count = 0;
    r->wait_min = r->wait_max = -1;
    r->in_chunk = -1;
    self->table[k] = self->kept.len - 1;
    *made = 1;
    return self->kept.len - 1;
}

static ChunkEntry *records_entry(Records *self, Py_ssize_t record)
{
    Kept *r = KEPT(self) + record;
    if (r->in_chunk >= 0)
        return CHUNK(self) + r->in_chunk;
    ChunkEntry *e = vec_push(&self->chunk);
    if (e == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    e->record = record;
    e->count = 0;
    e->wait_min = e->wait_max = -1;
    e->gp = 0;
    r->in_chunk = self->chunk.len - 1;
    return e;
}

/* A chunk scanned (blanked, cut at headers, minutes taken out, records hashed) and not yet
   counted: the part of a count that needs no Python object, so it runs without the GIL, in a
   thread, while Python works on the chunk before. */
typedef struct {
    unsigned long long id, hash;
    Py_ssize_t start, len;
    long long wait;
    int gp;
    Py_ssize_t record; /* the kept record with its text, as the scan found it; -1: none */
} Scanned;

typedef struct {
    PyObject_HEAD
    char *t;              /* the blanked text */
    Py_ssize_t before;    /* length of the text before the first header */
    Vec goroutines;       /* Scanned items */
    Vec parents;          /* uint64 parent ids, in order */
    unsigned long long seed;
    const Records *matched_by; /* the records its goroutines were matched to, at `epoch` */
    unsigned long long epoch;
} Scan;

static void scan_dealloc(Scan *self)
{
    PyMem_RawFree(self->t);
    PyMem_RawFree(self->goroutines.buf);
    PyMem_RawFree(self->parents.buf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ScanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "goleash.dumps._scan.Scan",
    .tp_basicsize = sizeof(Scan),
    .tp_dealloc = (destructor)scan_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A chunk scanned by Records.scan, to be read by Records.count.",
};

/* The GIL-free part: 0, or -1 if memory ran out. */
static int scan_text(Scan *sc, const char *text, Py_ssize_t n)
{
    Py_ssize_t m;
    sc->t = blank(text, n, &m, &sc->parents);
    if (sc->t == NULL)
        return -1;
    char *t = sc->t;
    Header h, next;
    Py_ssize_t from = 0;
    int more = next_header(t, m, &from, &h);
    sc->before = more ? h.at : m;
    while (more) {
        more = next_header(t, m, &from, &next);
        Py_ssize_t end = more ? next.at : m;
        Scanned *g = vec_push(&sc->goroutines);
        if (g == NULL)
            return -1;
        g->id = digits_value(t + h.id, h.id_end - h.id);
        g->start = h.record;
        g->len = without_minutes(t + h.record, end - h.record, &g->wait);
        g->hash = hash_bytes(t + g->start, g->len, sc->seed);
        g->gp = h.gp >= 0;
        g->record = -1;
        h = next;
    }
    return 0;
}

/* Each goroutine's kept record, looked up while the reading thread works on the chunk before
   (most goroutines repeat a record seen before): count() then only checks that nothing was
   removed since. No GIL is held; the records' lock is. */
static void match_kept(Records *self, Scan *sc)
{
    Scanned *g = (Scanned *)sc->goroutines.buf;
    for (Py_ssize_t i = 0; i < sc->goroutines.len; i++, g++) {
        Py_ssize_t k = (Py_ssize_t)(g->hash & self->mask);
        for (int probes = 0; self->table[k] >= 0 && probes < 64; probes++) {
            const Kept *r = KEPT(self) + self->table[k];
            if (r->hash == g->hash && PyBytes_GET_SIZE(r->text) == g->len &&
                memcmp(PyBytes_AS_STRING(r->text), sc->t + g->start, g->len) == 0) {
                g->record = self->table[k];
                break;
            }
            k = (k + 1) & self->mask;
        }
    }
    sc->matched_by = self;
    sc->epoch = self->epoch;
}

static PyObject *records_scan(Records *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Scan *sc = PyObject_New(Scan, &ScanType);
    if (sc == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    sc->t = NULL;
    sc->before = 0;
    sc->goroutines = (Vec){NULL, 0, 0, sizeof(Scanned)};
    sc->parents = (Vec){NULL, 0, 0, sizeof(unsigned long long)};
    sc->seed = self->seed;
    sc->matched_by = NULL;
    sc->epoch = 0;
    int r;
    Py_BEGIN_ALLOW_THREADS /* the buffer is held: the text cannot go away or change */
    r = scan_text(sc, view.buf, view.len);
    if (r == 0) {
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        match_kept(self, sc);
        PyThread_release_lock(self->lock);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (r < 0) {
        Py_DECREF(sc);
        return PyErr_NoMemory();
    }
    return (PyObject *)sc;
}

static PyObject *count_scanned(Records *self, Scan *sc);

static PyObject *records_count(Records *self, PyObject *arg)
{
    Scan *sc;
    if (PyObject_TypeCheck(arg, &ScanType)) {
        sc = (Scan *)arg;
        if (sc->seed != self->seed) {
            PyErr_SetString(PyExc_ValueError, "a chunk scanned by other records");
            return NULL;
        }
        Py_INCREF(sc);
    } else {
        sc = (Scan *)records_scan(self, arg);
        if (sc == NULL)
            return NULL;
    }
    /* Held with the GIL: a scan holds it only without the GIL, so neither waits on the other
       for long. */
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    PyObject *result = count_scanned(self, sc);
    PyThread_release_lock(self->lock);
    Py_DECREF(sc);
    return result;
}

static PyObject *count_scanned(Records *self, Scan *sc)
{
    if (records_rollback(self) < 0)
        return NULL;
    /* Matches made before a change that removed records may name records gone. */
    int matched = sc->matched_by == self && sc->epoch == self->epoch;
    PyObject *result = NULL, *array_module = NULL, *made_texts = PyList_New(0);
    Vec index = {NULL, 0, 0, sizeof(unsigned int)}, ids = {NULL, 0, 0, sizeof(unsigned long long)};
    Py_ssize_t probes = 0, n = sc->goroutines.len;
    if (made_texts == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        Scanned *g = (Scanned *)sc->goroutines.buf + i;
        int made = 0;
        Py_ssize_t r = matched && g->record >= 0
                           ? g->record
                           : records_find(self, sc->t + g->start, g->len, g->hash, &probes, &made);
        if (r == -2) { /* crafted collisions: the careful path reads this chunk */
            result = Py_NewRef(Py_None);
            goto done;
        }
        if (r < 0 || (made && PyList_Append(made_texts, KEPT(self)[r].text) < 0))
            goto done;
        ChunkEntry *e = records_entry(self, r);
        unsigned long long *id = vec_push(&ids);
        unsigned int *at = vec_push(&index);
        if (e == NULL || id == NULL || at == NULL) {
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            goto done;
        }
        e->count++;
        if (g->wait >= 0 && (e->wait_min < 0 || g->wait < e->wait_min))
            e->wait_min = g->wait;
        if (g->wait > e->wait_max)
            e->wait_max = g->wait;
        e->gp |= g->gp;
        *id = g->id;
        *at = (unsigned int)r;
    }

    Py_ssize_t np = self->chunk.len;
    PyObject *present = PyList_New(np), *counts = PyList_New(np), *gp = PyList_New(np);
    for (Py_ssize_t i = 0; present && counts && gp && i < np; i++) {
        ChunkEntry *e = CHUNK(self) + i;
        PyObject *record = PyLong_FromSsize_t(e->record), *count = PyLong_FromSsize_t(e->count);
        if (record == NULL || count == NULL) {
            Py_XDECREF(record);
            Py_XDECREF(count);
            Py_CLEAR(present);
            break;
        }
        PyList_SET_ITEM(present, i, record);
        PyList_SET_ITEM(counts, i, count);
        PyList_SET_ITEM(gp, i, PyBool_FromLong(e->gp));
    }
    /* Whether every id is new: none is 0 (a g0 stack), none comes twice in the chunk, none was
       seen before in the dump (a repeated id may start a new dump). */
    int fresh = 1;
    IdSet chunk_ids = {0};
    const unsigned long long *id_at = (const unsigned long long *)ids.buf;
    for (Py_ssize_t i = 0; fresh && i < ids.len; i++) {
        int added = id_at[i] == 0 || idset_has(&self->seen, id_at[i])
                        ? 0
                        : idset_add(&chunk_ids, id_at[i]);
        if (added < 0) {
            idset_clear(&chunk_ids);
            Py_XDECREF(present);
            Py_XDECREF(counts);
            Py_XDECREF(gp);
            goto done;
        }
        fresh = added;
    }
    idset_clear(&chunk_ids);
    int listed = present && counts && gp; /* else an error is set */
    array_module = listed ? PyImport_ImportModule("array") : NULL;
    PyObject *array_type = array_module ? PyObject_GetAttrString(array_module, "array") : NULL;
    PyObject *before_text = array_type ? PyBytes_FromStringAndSize(sc->t, sc->before) : NULL;
    /* each made only once the one before it was: no call runs with an error set */
    PyObject *id_array = before_text ? new_array(array_type, "Q", ids.buf, ids.len * 8) : NULL;
    PyObject *index_array =
        id_array ? new_array(array_type, "I", index.buf, index.len * 4) : NULL;
    PyObject *parent_array =
        index_array ? new_array(array_type, "Q", sc->parents.buf, sc->parents.len * 8) : NULL;
    if (parent_array)
        result = PyTuple_Pack(9, before_text, id_array, made_texts, index_array, present, counts,
                              gp, parent_array, fresh ? Py_True : Py_False);
    Py_XDECREF(present);
    Py_XDECREF(counts);
    Py_XDECREF(gp);
    Py_XDECREF(array_type);
    Py_XDECREF(before_text);
    Py_XDECREF(id_array);
    Py_XDECREF(index_array);
    Py_XDECREF(parent_array);
done:
    if (result == NULL || result == Py_None) {
        /* nothing of this chunk is kept: an error, or the careful path reads it */
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        if (records_rollback(self) < 0)
            PyErr_Clear(); /* the error that came first is the one to tell */
        PyErr_Restore(type, value, traceback);
    }
    Py_XDECREF(made_texts);
    Py_XDECREF(array_module);
    /* The ids wait for commit(), which sees them; a refused count() leaves none to see. */
    PyMem_RawFree(self->last_ids.buf);
    self->last_ids = ids;
    if (result == NULL || result == Py_None)
        self->last_ids.len = 0;
    PyMem_RawFree(index.buf);
    return result;
}

static PyObject *records_commit(Records *self, PyObject *unused)
{
    for (Py_ssize_t i = 0; i < self->chunk.len; i++) {
        ChunkEntry *e = CHUNK(self) + i;
        Kept *r = KEPT(self) + e->record;
        r->count += e->count;
        if (e->wait_min >= 0 && (r->wait_min < 0 || e->wait_min < r->wait_min))
            r->wait_min = e->wait_min;
        if (e->wait_max > r->wait_max)
            r->wait_max = e->wait_max;
        r->in_chunk = -1;
    }
    self->chunk.len = 0;
    self->committed = self->kept.len;
    const unsigned long long *id = (const unsigned long long *)self->last_ids.buf;
    for (Py_ssize_t i = 0; i < self->last_ids.len && self->seen.len < self->seen_cap; i++)
        if (idset_add(&self->seen, id[i]) < 0)
            return NULL;
    self->last_ids.len = 0;
    Py_RETURN_NONE;
}

static PyObject *records_saw(Records *self, PyObject *arg)
{
    unsigned long long id = PyLong_AsUnsignedLongLong(arg);
    if (id == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(idset_has(&self->seen, id));
}

static PyObject *records_see(Records *self, PyObject *arg)
{
    unsigned long long id = PyLong_AsUnsignedLongLong(arg);
    if (id == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    if (self->seen.len < self->seen_cap && idset_add(&self->seen, id) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *records_forget_ids(Records *self, PyObject *unused)
{
    idset_clear(&self->seen);
    Py_RETURN_NONE;
}

static PyObject *records_take(Records *self, PyObject *unused)
{
    PyObject *list = PyList_New(0);
    for (Py_ssize_t i = 0; list != NULL && i < self->committed; i++) {
        Kept *r = KEPT(self) + i;
        if (r->count == 0)
            continue;
        PyObject *item = r->wait_min < 0
                             ? Py_BuildValue("(nnO)", i, r->count, Py_None)
                             : Py_BuildValue("(nn(LL))", i, r->count, r->wait_min, r->wait_max);
        if (item == NULL || PyList_Append(list, item) < 0)
            Py_CLEAR(list);
        Py_XDECREF(item);
        r->count = 0;
        r->wait_min = r->wait_max = -1;
    }
    return list;
}

static PyObject *records_clear(Records *self, PyObject *unused)
{
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    records_clear_all(self);
    int r = records_rehash(self, 0);
    PyThread_release_lock(self->lock);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

static Py_ssize_t records_length(Records *self) { return self->committed; }

static PyMethodDef records_methods[] = {
    {"scan", (PyCFunction)records_scan, METH_O,
     "scan(text) -> a scanned chunk for count(), made without holding the GIL."},
    {"count", (PyCFunction)records_count, METH_O,
     "count(text or scan) -> (before, ids, new_texts, index, present, counts, gp, parents, "
     "fresh) or None."},
    {"commit", (PyCFunction)records_commit, METH_NOARGS,
     "Keep what the last count() read; its ids are seen from now on."},
    {"saw", (PyCFunction)records_saw, METH_O, "saw(id) -> whether the dump had that id."},
    {"see", (PyCFunction)records_see, METH_O, "see(id): the dump has that id (up to seen_ids)."},
    {"forget_ids", (PyCFunction)records_forget_ids, METH_NOARGS,
     "A new dump begins: no id seen yet."},
    {"take", (PyCFunction)records_take, METH_NOARGS,
     "take() -> [(record, count, wait range or None), ...]: the committed counts, reset."},
    {"clear", (PyCFunction)records_clear, METH_NOARGS, "Forget every record."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods records_as_sequence = {.sq_length = (lenfunc)records_length};

static PyTypeObject RecordsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "goleash.dumps._scan.Records",
    .tp_basicsize = sizeof(Records),
    .tp_dealloc = (destructor)records_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The distinct records of a dump, kept across chunks: see traceback._Records.",
    .tp_methods = records_methods,
    .tp_as_sequence = &records_as_sequence,
    .tp_new = records_new,
};

/* --- text caches ------------------------------------------------------------------------- */

/* TextCache: texts -> Python objects, looked up by a slice of a buffer, so a hit costs a hash
   and a memcmp, never a bytes object, a str or a Python dict. plain_stack and read_stack keep
   the function and file names in one. Seeded like Records; a lookup
   that probes too long (texts crafted to collide) is a miss that is not kept, and the cache
   empties itself past `limit` entries, so time and memory stay bounded whatever the input. */
typedef struct {
    unsigned long long hash;
    char *text; /* a copy, PyMem_Malloc'd */
    Py_ssize_t len;
    PyObject *value;
} CacheEntry;

typedef struct {
    PyObject_HEAD
    CacheEntry *slots; /* open addressing, text == NULL when free */
    Py_ssize_t mask, used, limit;
    unsigned long long seed;
} TextCache;

#define CACHE_PROBES 32

static void cache_empty(TextCache *self)
{
    for (Py_ssize_t k = 0; k <= self->mask; k++) {
        CacheEntry *e = self->slots + k;
        if (e->text != NULL) {
            PyMem_Free(e->text);
            e->text = NULL;
            Py_CLEAR(e->value);
        }
    }
    self->used = 0;
}

static void cache_dealloc(TextCache *self)
{
    if (self->slots != NULL)
        cache_empty(self);
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int cache_resize(TextCache *self, Py_ssize_t size)
{
    CacheEntry *slots = PyMem_Calloc((size_t)size, sizeof(CacheEntry));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    CacheEntry *old = self->slots;
    Py_ssize_t old_size = old == NULL ? 0 : self->mask + 1;
    self->slots = slots;
    self->mask = size - 1;
    for (Py_ssize_t k = 0; k < old_size; k++) {
        if (old[k].text == NULL)
            continue;
        Py_ssize_t j = (Py_ssize_t)(old[k].hash & self->mask);
        while (slots[j].text != NULL)
            j = (j + 1) & self->mask;
        slots[j] = old[k];
    }
    PyMem_Free(old);
    return 0;
}

static PyObject *cache_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    unsigned long long seed;
    Py_ssize_t limit;
    static char *names[] = {"seed", "limit", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Kn", names, &seed, &limit))
        return NULL;
    TextCache *self = (TextCache *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->seed = seed;
    self->limit = limit > 16 ? limit : 16;
    if (cache_resize(self, 1024) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* The slot of s[0:len]: its entry, a free slot where it would go, or NULL when probing went on
   too long. */
static CacheEntry *cache_slot(TextCache *self, const char *s, Py_ssize_t len,
                              unsigned long long hash)
{
    Py_ssize_t k = (Py_ssize_t)(hash & self->mask);
    for (int probes = 0; probes < CACHE_PROBES; probes++) {
        CacheEntry *e = self->slots + k;
        if (e->text == NULL ||
            (e->hash == hash && e->len == len && memcmp(e->text, s, (size_t)len) == 0))
            return e;
        k = (k + 1) & self->mask;
    }
    return NULL;
}

/* The object kept for s[0:len] (borrowed), or NULL. */
static PyObject *cache_get(TextCache *self, const char *s, Py_ssize_t len,
                           unsigned long long *hash)
{
    *hash = hash_bytes(s, len, self->seed);
    CacheEntry *e = cache_slot(self, s, len, *hash);
    return e == NULL ? NULL : e->value;
}

/* Keep `value` for s[0:len] (not kept when its probe sequence is full); -1 on error. */
static int cache_put(TextCache *self, const char *s, Py_ssize_t len, unsigned long long hash,
                     PyObject *value)
{
    if (self->used >= self->limit)
        cache_empty(self); /* keep memory flat */
    if ((self->used + 1) * 2 > self->mask + 1 && cache_resize(self, (self->mask + 1) * 2) < 0)
        return -1;
    CacheEntry *e = cache_slot(self, s, len, hash);
    if (e == NULL || e->text != NULL)
        return 0;
    e->text = PyMem_Malloc(len > 0 ? (size_t)len : 1);
    if (e->text == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(e->text, s, (size_t)len);
    e->len = len;
    e->hash = hash;
    Py_INCREF(value);
    e->value = value;
    self->used++;
    return 0;
}

static Py_ssize_t cache_length(TextCache *self) { return self->used; }

static PySequenceMethods cache_as_sequence = {.sq_length = (lenfunc)cache_length};

static PyTypeObject TextCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "goleash.dumps._scan.TextCache",
    .tp_basicsize = sizeof(TextCache),
    .tp_dealloc = (destructor)cache_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "TextCache(seed, limit): texts -> objects, looked up by slices (see plain_stack).",
    .tp_as_sequence = &cache_as_sequence,
    .tp_new = cache_new,
};

/* --- a chunk's members --------------------------------------------------------------------- */

static int get_array(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what);

/* split_members(...) is traceback._split_members: each goroutine of a chunk, and each parent
   its record names, put with its group in the user builder or (slot ~s) in the runtime one. */
static PyObject *split_members(PyObject *module, PyObject *args)
{
    PyObject *objs[5];
    if (!PyArg_ParseTuple(args, "OOOOO", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4]))
        return NULL;
    static const Py_ssize_t sizes[5] = {4, 4, 1, 8, 8};
    static const char *const what[5] = {"index", "record slots", "parented", "ids", "parents"};
    Py_buffer views[5];
    int got = 0;
    PyObject *result = NULL, *array_module = NULL, *array_type = NULL;
    unsigned long long *wide = NULL; /* ids then parents, user then runtime halves */
    unsigned int *narrow = NULL;     /* their slots, laid out alike */
    for (; got < 5; got++)
        if (get_array(objs[got], &views[got], sizes[got], what[got]) < 0)
            goto done;
    const unsigned int *index = views[0].buf;
    const int *slot = views[1].buf;
    const unsigned char *parented = views[2].buf;
    const unsigned long long *ids = views[3].buf, *parents = views[4].buf;
    Py_ssize_t n = views[0].len / 4, nslots = views[1].len / 4, nparented = views[2].len;
    Py_ssize_t np = views[4].len / 8;
    if (views[3].len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "index and ids differ in length");
        goto done;
    }
    /* One pass to check and count, one to fill [user ids | runtime ids] and, after them,
       [user parents | runtime parents], each part in order. */
    Py_ssize_t users = 0, user_parents = 0, p = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned int r = index[i];
        if ((Py_ssize_t)r >= nslots || (Py_ssize_t)r >= nparented) {
            PyErr_SetString(PyExc_ValueError, "a record number out of range");
            goto done;
        }
        users += slot[r] >= 0;
        if (parented[r]) {
            user_parents += slot[r] >= 0;
            p++;
        }
    }
    if (p != np) {
        PyErr_SetString(PyExc_ValueError, "as many parented goroutines as parents are expected");
        goto done;
    }
    wide = PyMem_Malloc(((size_t)n + (size_t)np + 1) * sizeof(unsigned long long));
    narrow = PyMem_Malloc(((size_t)n + (size_t)np + 1) * sizeof(unsigned int));
    if (wide == NULL || narrow == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t runtimes = n - users, runtime_parents = np - user_parents;
    Py_ssize_t at[2] = {users, 0}, parent_at[2] = {n + user_parents, n}; /* by user */
    p = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int s = slot[index[i]], user = s >= 0;
        unsigned int group = (unsigned int)(user ? s : ~s);
        wide[at[user]] = ids[i];
        narrow[at[user]++] = group;
        if (parented[index[i]]) {
            wide[parent_at[user]] = parents[p++];
            narrow[parent_at[user]++] = group;
        }
    }
    array_module = PyImport_ImportModule("array");
    array_type = array_module ? PyObject_GetAttrString(array_module, "array") : NULL;
    if (array_type == NULL)
        goto done;
    const void *starts[8] = {wide, narrow, wide + n, narrow + n,
                             wide + users, narrow + users, wide + n + user_parents,
                             narrow + n + user_parents};
    const Py_ssize_t counts[8] = {users, users, user_parents, user_parents,
                                  runtimes, runtimes, runtime_parents, runtime_parents};
    result = PyTuple_New(8);
    for (int k = 0; result != NULL && k < 8; k++) {
        int is_wide = k % 2 == 0;
        PyObject *a = new_array(array_type, is_wide ? "Q" : "I", starts[k],
                                counts[k] * (is_wide ? 8 : 4));
        if (a == NULL)
            Py_CLEAR(result);
        else
            PyTuple_SET_ITEM(result, k, a);
    }
done:
    for (int k = 0; k < got; k++)
        PyBuffer_Release(&views[k]);
    PyMem_Free(wide);
    PyMem_Free(narrow);
    Py_XDECREF(array_type);
    Py_XDECREF(array_module);
    return result;
}

/* --- signatures ------------------------------------------------------------------------- */

/* Append n bytes to the growing buffer *out[0:*len] of capacity *cap. */
static int put_raw(const char *b, Py_ssize_t n, char **out, Py_ssize_t *len, Py_ssize_t *cap)
{
    if (*len + n > *cap) {
        Py_ssize_t bigger = (*len + n) * 2;
        char *buf = PyMem_Realloc(*out, bigger);
        if (buf == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        *out = buf;
        *cap = bigger;
    }
    memcpy(*out + *len, b, n);
    *len += n;
    return 0;
}

/* Append a str as UTF-8 (an error for lone surrogates, as str.encode() raises). */
static int put_text(PyObject *s, char **out, Py_ssize_t *len, Py_ssize_t *cap)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "a frame's function and file are str");
        return -1;
    }
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(s, &n);
    return utf8 == NULL ? -1 : put_raw(utf8, n, out, len, cap);
}

/* "function \1 file \1 line" of a Frame (a tuple: function, file, line). */
static int put_frame(PyObject *frame, char **out, Py_ssize_t *len, Py_ssize_t *cap)
{
    if (!PyTuple_Check(frame) || PyTuple_GET_SIZE(frame) < 3) {
        PyErr_SetString(PyExc_TypeError, "a frame is a (function, file, line) tuple");
        return -1;
    }
    if (put_text(PyTuple_GET_ITEM(frame, 0), out, len, cap) < 0 ||
        put_raw("\1", 1, out, len, cap) < 0 ||
        put_text(PyTuple_GET_ITEM(frame, 1), out, len, cap) < 0 ||
        put_raw("\1", 1, out, len, cap) < 0)
        return -1;
    PyObject *line = PyTuple_GET_ITEM(frame, 2);
    int overflow = 0;
    long long n = PyLong_CheckExact(line) ? PyLong_AsLongLongAndOverflow(line, &overflow) : -1;
    if (n >= 0 && !overflow) { /* str() of a line number, without making the str */
        char digits[24];
        int k = sizeof digits;
        do {
            digits[--k] = (char)('0' + n % 10);
            n /= 10;
        } while (n > 0);
        return put_raw(digits + k, (Py_ssize_t)sizeof digits - k, out, len, cap);
    }
    if (PyErr_Occurred())
        return -1;
    PyObject *text = PyObject_Str(line);
    if (text == NULL)
        return -1;
    int r = put_text(text, out, len, cap);
    Py_DECREF(text);
    return r;
}

/* BLAKE2b (RFC 7693), unkeyed, for the 8-byte digests of signatures. */
static const unsigned long long B2B_IV[8] = {
    0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
    0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL,
};

static const unsigned char B2B_SIGMA[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static unsigned long long rotr64(unsigned long long x, int n) { return (x >> n) | (x << (64 - n)); }

#define B2B_G(a, b, c, d, x, y)                                                                    \
    do {                                                                                           \
        v[a] = v[a] + v[b] + (x);                                                                  \
        v[d] = rotr64(v[d] ^ v[a], 32);                                                            \
        v[c] = v[c] + v[d];                                                                        \
        v[b] = rotr64(v[b] ^ v[c], 24);                                                            \
        v[a] = v[a] + v[b] + (y);                                                                  \
        v[d] = rotr64(v[d] ^ v[a], 16);                                                            \
        v[c] = v[c] + v[d];                                                                        \
        v[b] = rotr64(v[b] ^ v[c], 63);                                                            \
    } while (0)

#define B2B_ROUND(r)                                                                               \
    do {                                                                                           \
        const unsigned char *s = B2B_SIGMA[(r) % 10];                                              \
        B2B_G(0, 4, 8, 12, m[s[0]], m[s[1]]);                                                      \
        B2B_G(1, 5, 9, 13, m[s[2]], m[s[3]]);                                                      \
        B2B_G(2, 6, 10, 14, m[s[4]], m[s[5]]);                                                     \
        B2B_G(3, 7, 11, 15, m[s[6]], m[s[7]]);                                                     \
        B2B_G(0, 5, 10, 15, m[s[8]], m[s[9]]);                                                     \
        B2B_G(1, 6, 11, 12, m[s[10]], m[s[11]]);                                                   \
        B2B_G(2, 7, 8, 13, m[s[12]], m[s[13]]);                                                    \
        B2B_G(3, 4, 9, 14, m[s[14]], m[s[15]]);                                                    \
    } while (0)

/* The compression function F on one 128-byte block; `counted` bytes so far, `last` block. */
static void b2b_compress(unsigned long long h[8], const unsigned char block[128],
                         unsigned long long counted, int last)
{
    unsigned long long m[16], v[16];
    for (int i = 0; i < 16; i++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&m[i], block + 8 * i, 8);
#else
        unsigned long long w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | block[8 * i + k]; /* little-endian words */
        m[i] = w;
#endif
    }
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = B2B_IV[i];
    }
    v[12] ^= counted; /* the counter's high word stays 0: texts are far below 2^64 bytes */
    if (last)
        v[14] = ~v[14];
    /* The twelve rounds written out: with constant indices the words stay in registers. */
    B2B_ROUND(0);
    B2B_ROUND(1);
    B2B_ROUND(2);
    B2B_ROUND(3);
    B2B_ROUND(4);
    B2B_ROUND(5);
    B2B_ROUND(6);
    B2B_ROUND(7);
    B2B_ROUND(8);
    B2B_ROUND(9);
    B2B_ROUND(10);
    B2B_ROUND(11);
    for (int i = 0; i < 8; i++)
        h[i] ^= v[i] ^ v[i + 8];
}

/* hashlib.blake2b(text, digest_size=8).hexdigest() as 16 characters in `hex`. */
static void blake2b_8_hex(const unsigned char *text, Py_ssize_t len, char hex[16])
{
    unsigned long long h[8];
    memcpy(h, B2B_IV, sizeof h);
    h[0] ^= 0x01010000ULL ^ 8; /* depth 1, fanout 1, no key, 8-byte digest */
    Py_ssize_t done = 0;
    while (len - done > 128) { /* every block but the last, which may be full */
        b2b_compress(h, text + done, (unsigned long long)(done + 128), 0);
        done += 128;
    }
    unsigned char last[128] = {0};
    memcpy(last, text + done, (size_t)(len - done));
    b2b_compress(h, last, (unsigned long long)len, 1);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        unsigned char byte = (unsigned char)(h[0] >> (8 * i));
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 15];
    }
}

/* The text model.signature_of hashes, put at the end of `out`: state, "\0" and a frame per
   frame, then the creator. */
static int signature_text(PyObject *state, PyObject *frames, PyObject *created_by, char **out,
                          Py_ssize_t *len, Py_ssize_t *cap)
{
    if (put_text(state, out, len, cap) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(frames); i++) {
        if (put_raw("\0", 1, out, len, cap) < 0 ||
            put_frame(PyTuple_GET_ITEM(frames, i), out, len, cap) < 0)
            return -1;
    }
    if (created_by != Py_None && (put_raw("\0created\0", 9, out, len, cap) < 0 ||
                                  put_frame(created_by, out, len, cap) < 0))
        return -1;
    return 0;
}

/* The texts are laid out with the GIL held, then hashed without it: a caller that runs this
   in a thread keeps working meanwhile (ten thousand groups take ~20 ms of hashing). */
static PyObject *signatures(PyObject *module, PyObject *args)
{
    PyObject *states, *stacks, *creators;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &states, &PyList_Type, &stacks,
                          &PyList_Type, &creators))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(states);
    if (PyList_GET_SIZE(stacks) != n || PyList_GET_SIZE(creators) != n) {
        PyErr_SetString(PyExc_ValueError, "states, stacks and creators differ in length");
        return NULL;
    }
    Py_ssize_t len = 0, cap = 512;
    char *out = PyMem_Malloc(cap), *hex = PyMem_Malloc(16 * (size_t)n + 1);
    Py_ssize_t *ends = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    PyObject *result = NULL;
    if (out == NULL || hex == NULL || ends == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    ends[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *frames = PyList_GET_ITEM(stacks, i);
        if (!PyTuple_Check(frames)) {
            PyErr_SetString(PyExc_TypeError, "a group's frames are a tuple");
            goto done;
        }
        if (signature_text(PyList_GET_ITEM(states, i), frames, PyList_GET_ITEM(creators, i), &out,
                           &len, &cap) < 0)
            goto done;
        ends[i + 1] = len;
    }
    Py_BEGIN_ALLOW_THREADS /* the buffers are this call's own */
    for (Py_ssize_t i = 0; i < n; i++)
        blake2b_8_hex((const unsigned char *)out + ends[i], ends[i + 1] - ends[i], hex + 16 * i);
    Py_END_ALLOW_THREADS
    result = PyList_New(n);
    for (Py_ssize_t i = 0; result != NULL && i < n; i++) {
        PyObject *digest = PyUnicode_FromStringAndSize(hex + 16 * i, 16);
        if (digest == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, i, digest);
    }
done:
    PyMem_Free(out);
    PyMem_Free(hex);
    PyMem_Free(ends);
    return result;
}

/* --- parent facts -------------------------------------------------------------------------- */

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

/* The group + 1 of each parent id's goroutine (the last one with that id), 0 when none has it.
   Goroutine ids are handed out in order, so a dump's ids usually fill a range not much wider
   than their number: then a table indexed by id, read in order, answers; otherwise a set of
   the parent ids alone, with their groups by slot (memory follows parents, not the range). */
static int parent_groups_of(const unsigned long long *id, const unsigned int *group, Py_ssize_t n,
                            const unsigned long long *parent, Py_ssize_t np,
                            unsigned long long *out)
{
    unsigned long long lo = ~0ULL, hi = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (id[i] < lo)
            lo = id[i];
        if (id[i] > hi)
            hi = id[i];
    }
    if (n > 0 && hi - lo < 4 * (unsigned long long)n + 4096) {
        unsigned int *by_id = PyMem_Calloc((size_t)(hi - lo + 1), sizeof(unsigned int));
        if (by_id == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            by_id[id[i] - lo] = group[i] + 1;
        for (Py_ssize_t i = 0; i < np; i++)
            out[i] = parent[i] >= lo && parent[i] <= hi ? by_id[parent[i] - lo] : 0;
        PyMem_Free(by_id);
        return 0;
    }
    IdSet parents = {0};
    unsigned long long *group_of = NULL; /* by the parents' slots */
    for (Py_ssize_t i = 0; i < np; i++)
        if (idset_add(&parents, parent[i]) < 0)
            goto fail;
    group_of = PyMem_Calloc((size_t)(parents.slots == NULL ? 1 : parents.mask + 1),
                            sizeof(unsigned long long));
    if (group_of == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (idset_has(&parents, id[i]))
            group_of[idset_slot(&parents, id[i])] = (unsigned long long)group[i] + 1;
    }
    for (Py_ssize_t i = 0; i < np; i++)
        out[i] = group_of[idset_slot(&parents, parent[i])];
    PyMem_Free(group_of);
    idset_clear(&parents);
    return 0;
fail:
    idset_clear(&parents);
    return -1;
}

/* codes[0:n] in increasing order (all below `bound`): a radix sort, 11 bits a pass. */
static int sort_codes(unsigned long long *codes, Py_ssize_t n, unsigned long long bound)
{
    unsigned long long *spare = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(unsigned long long));
    if (spare == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    unsigned long long *from = codes, *to = spare;
    Py_ssize_t start[2048];
    for (int shift = 0; shift < 64 && (bound - 1) >> shift != 0; shift += 11) {
        memset(start, 0, sizeof start);
        for (Py_ssize_t i = 0; i < n; i++)
            start[(from[i] >> shift) & 2047]++;
        Py_ssize_t at = 0;
        for (int d = 0; d < 2048; d++) {
            Py_ssize_t c = start[d];
            start[d] = at;
            at += c;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            to[start[(from[i] >> shift) & 2047]++] = from[i];
        unsigned long long *t = from;
        from = to;
        to = t;
    }
    if (from != codes)
        memcpy(codes, from, (size_t)n * sizeof(unsigned long long));
    PyMem_Free(spare);
    return 0;
}

/* The hash of each function the needed groups' frames run, group after group in one array
   (group g's from start[g] to start[g + 1]; -1, never a hash, for an item that is no Frame):
   the check per distinct pair then reads a few words in a row, not a few Python objects
   scattered over the heap. */
static int function_hashes(PyObject *stacks, const unsigned char *needed, Py_ssize_t ngroups,
                           Py_ssize_t *start, Py_hash_t **hashes_out)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        start[g] = total;
        PyObject *frames = PyList_GET_ITEM(stacks, g);
        if (needed[g] && PyTuple_Check(frames))
            total += PyTuple_GET_SIZE(frames);
    }
    start[ngroups] = total;
    Py_hash_t *hashes = PyMem_Malloc((size_t)(total > 0 ? total : 1) * sizeof(Py_hash_t));
    if (hashes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *hashes_out = hashes;
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        PyObject *frames = PyList_GET_ITEM(stacks, g);
        for (Py_ssize_t i = 0; i < start[g + 1] - start[g]; i++) {
            PyObject *frame = PyTuple_GET_ITEM(frames, i);
            Py_hash_t h = -1;
            if (PyTuple_Check(frame) && PyTuple_GET_SIZE(frame) >= 1) {
                h = PyObject_Hash(PyTuple_GET_ITEM(frame, 0));
                if (h == -1)
                    return -1;
            }
            hashes[start[g] + i] = h;
        }
    }
    return 0;
}

/* Whether `frames` (a tuple of Frames, tuples whose item 0 is the function, with the hashes
   function_hashes made) run `function`: equal hashes, then equal text, as a set would. */
static int runs(PyObject *frames, const Py_hash_t *hashes, Py_ssize_t n, PyObject *function)
{
    Py_hash_t h = PyObject_Hash(function);
    if (h == -1)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hashes[i] != h)
            continue;
        int eq = PyObject_RichCompareBool(PyTuple_GET_ITEM(PyTuple_GET_ITEM(frames, i), 0),
                                          function, Py_EQ);
        if (eq != 0)
            return eq;
    }
    return 0;
}

static PyObject *long_list(const Py_ssize_t *counts, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        PyObject *v = PyLong_FromSsize_t(counts[i]);
        if (v == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *parent_facts(PyObject *module, PyObject *args)
{
    PyObject *ids_obj, *groups_obj, *parents_obj, *parent_groups_obj, *creators, *stacks;
    if (!PyArg_ParseTuple(args, "OOOOO!O!", &ids_obj, &groups_obj, &parents_obj,
                          &parent_groups_obj, &PyList_Type, &creators, &PyList_Type, &stacks))
        return NULL;
    Py_ssize_t ngroups = PyList_GET_SIZE(creators);
    if (PyList_GET_SIZE(stacks) != ngroups) {
        PyErr_SetString(PyExc_ValueError, "creators and stacks differ in length");
        return NULL;
    }
    Py_buffer ids, groups, parents, parent_groups;
    if (get_array(ids_obj, &ids, 8, "ids") < 0)
        return NULL;
    PyObject *result = NULL;
    unsigned long long *codes = NULL;
    Py_ssize_t *counts = NULL, *start = NULL;
    unsigned char *needed = NULL;
    Py_hash_t *hashes = NULL;
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
    for (Py_ssize_t i = 0; i < n; i++) {
        if (group[i] >= (unsigned long long)ngroups) {
            PyErr_SetString(PyExc_ValueError, "a group index out of range");
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < np; i++) {
        if (parent_group[i] >= (unsigned long long)ngroups) {
            PyErr_SetString(PyExc_ValueError, "a group index out of range");
            goto done;
        }
    }
    counts = PyMem_Calloc(3 * (size_t)ngroups + 1, sizeof(Py_ssize_t));
    if (counts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *with_parent = counts, *orphans = counts + ngroups, *returned = counts + 2 * ngroups;
    if (np > 0) {
        /* Each known parent as one code: its child's group * width + the parent's group + 1
           (0 when the parent is gone); sorted, so equal pairs are next to each other and the
           creator check runs once per distinct pair. */
        unsigned long long width = (unsigned long long)ngroups + 1;
        codes = PyMem_Malloc((size_t)np * sizeof(unsigned long long));
        if (codes == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (parent_groups_of(id, group, n, parent, np, codes) < 0)
            goto done;
        for (Py_ssize_t i = 0; i < np; i++)
            codes[i] += parent_group[i] * width;
        if (sort_codes(codes, np, width * width) < 0)
            goto done;
        needed = PyMem_Calloc((size_t)ngroups + 1, 1);
        start = PyMem_Malloc(((size_t)ngroups + 1) * sizeof(Py_ssize_t));
        if (needed == NULL || start == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < np; i++) {
            unsigned long long p = codes[i] % width;
            if (p != 0 && PyList_GET_ITEM(creators, codes[i] / width) != Py_None)
                needed[p - 1] = 1;
        }
        if (function_hashes(stacks, needed, ngroups, start, &hashes) < 0)
            goto done;
        for (Py_ssize_t i = 0; i < np;) {
            unsigned long long code = codes[i], child = code / width, p = code % width;
            Py_ssize_t count = 0;
            while (i < np && codes[i] == code) {
                count++;
                i++;
            }
            with_parent[child] += count;
            if (p == 0) {
                orphans[child] += count;
                continue;
            }
            PyObject *creator = PyList_GET_ITEM(creators, child);
            PyObject *frames = PyList_GET_ITEM(stacks, p - 1);
            if (creator == Py_None || !PyTuple_Check(frames))
                continue;
            int r = runs(frames, hashes + start[p - 1], start[p] - start[p - 1], creator);
            if (r < 0)
                goto done;
            if (!r)
                returned[child] += count;
        }
    }
    PyObject *a = long_list(with_parent, ngroups), *b = long_list(orphans, ngroups),
             *c = long_list(returned, ngroups);
    if (a != NULL && b != NULL && c != NULL)
        result = PyTuple_Pack(3, a, b, c);
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
done:
    PyMem_Free(counts);
    PyMem_Free(codes);
    PyMem_Free(needed);
    PyMem_Free(start);
    PyMem_Free(hashes);
    PyBuffer_Release(&ids);
    if (have_groups)
        PyBuffer_Release(&groups);
    if (have_parents)
        PyBuffer_Release(&parents);
    if (have_parent_groups)
        PyBuffer_Release(&parent_groups);
    return result;
}

static PyObject *first_ids(PyObject *module, PyObject *args)
{
    PyObject *ids_obj, *groups_obj;
    Py_ssize_t ngroups, per_group;
    if (!PyArg_ParseTuple(args, "OOnn", &ids_obj, &groups_obj, &ngroups, &per_group))
        return NULL;
    if (ngroups < 0 || per_group < 0) {
        PyErr_SetString(PyExc_ValueError, "negative sizes");
        return NULL;
    }
    Py_buffer ids, groups;
    if (get_array(ids_obj, &ids, 8, "ids") < 0)
        return NULL;
    if (get_array(groups_obj, &groups, 4, "groups") < 0) {
        PyBuffer_Release(&ids);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t n = ids.len / 8, wanting = ngroups;
    const unsigned long long *id = ids.buf;
    const unsigned int *group = groups.buf;
    PyObject *lists = PyList_New(ngroups);
    if (lists == NULL)
        goto done;
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        PyObject *list = PyList_New(0);
        if (list == NULL)
            goto done;
        PyList_SET_ITEM(lists, g, list);
    }
    if (groups.len / 4 != n) {
        PyErr_SetString(PyExc_ValueError, "ids and groups differ in length");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n && wanting > 0 && per_group > 0; i++) {
        if (group[i] >= (unsigned long long)ngroups) {
            PyErr_SetString(PyExc_ValueError, "a group index out of range");
            goto done;
        }
        PyObject *list = PyList_GET_ITEM(lists, group[i]);
        if (PyList_GET_SIZE(list) >= per_group)
            continue;
        PyObject *value = PyLong_FromUnsignedLongLong(id[i]);
        int r = value == NULL ? -1 : PyList_Append(list, value);
        Py_XDECREF(value);
        if (r < 0)
            goto done;
        if (PyList_GET_SIZE(list) == per_group)
            wanting--;
    }
    /* Tuples of ints: nothing to collect there, so off the cycle collector's lists. */
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        PyObject *tuple = PyList_AsTuple(PyList_GET_ITEM(lists, g));
        if (tuple == NULL)
            goto done;
        PyObject_GC_UnTrack(tuple);
        PyList_SetItem(lists, g, tuple);
    }
    result = lists;
    lists = NULL;
done:
    Py_XDECREF(lists);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&groups);
    return result;
}

/* Whether `o` is a tuple, or an instance of a tuple subclass with no __dict__ (a NamedTuple),
   that the cycle collector tracks. */
static int tracked_tuple(PyObject *o)
{
    return PyTuple_Check(o) && Py_TYPE(o)->tp_dictoffset == 0 && PyObject_GC_IsTracked(o);
}

/* `o` off the collector's lists if no item of it is tracked, its items first when `depth`. */
static void untrack_tuple(PyObject *o, int depth)
{
    if (!tracked_tuple(o))
        return;
    Py_ssize_t n = PyTuple_GET_SIZE(o);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(o, i);
        if (depth > 0)
            untrack_tuple(item, depth - 1);
        if (PyObject_IS_GC(item) && PyObject_GC_IsTracked(item))
            return;
    }
    PyObject_GC_UnTrack(o);
}

/* Each object of the tuple `arg` (the groups of a snapshot) and `arg` itself off the lists,
   and first their tuples two levels down (a group's frames, and their frames). */
static PyObject *untrack(PyObject *module, PyObject *arg)
{
    if (!PyTuple_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "untrack() takes a tuple");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(arg); i++)
        untrack_tuple(PyTuple_GET_ITEM(arg, i), 2);
    untrack_tuple(arg, 0);
    Py_RETURN_NONE;
}

/* --- plain stacks ------------------------------------------------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* "\tPATH:LINE" or "\tPATH:LINE +0xHEX" in s[0:len] (PATH up to the last colon, LINE of 1 to 18
   digits): 1 with the path's span and the line, else 0 (the Python reader takes other forms). */
static int file_line(const char *s, Py_ssize_t len, Py_ssize_t *path_end, long long *line)
{
    if (len < 1 || s[0] != '\t')
        return 0;
    Py_ssize_t colon = len - 1;
    while (colon > 0 && s[colon] != ':')
        colon--;
    if (colon <= 0)
        return 0;
    Py_ssize_t i = colon + 1;
    long long value = 0;
    while (i < len && is_digit(s[i]) && i - colon <= 18)
        value = value * 10 + (s[i++] - '0');
    if (i == colon + 1 || (i < len && s[i] != ' '))
        return 0;
    if (i < len) { /* " +0x" and one or more hex digits, to the end */
        Py_ssize_t h = i + 4;
        if (h >= len || memcmp(s + i, " +0x", 4) != 0)
            return 0;
        for (Py_ssize_t k = h; k < len; k++)
            if (!is_hex(s[k]))
                return 0;
    }
    *path_end = colon;
    *line = value;
    return 1;
}

/* A Frame (a tuple subclass) from function, file and line; steals nothing. Made the way
   tuple.__new__ makes a subclass's instance (tp_alloc, then the items in place), but without
   two temporary tuples. Its items are a str, a str and an int: it can never be part of a
   reference cycle, so it is taken off the cycle collector's lists, as CPython does with such
   tuples of its own (every collection would otherwise walk tens of thousands of frames). */
static PyObject *shared_name(TextCache *names, const char *s, Py_ssize_t len);

/* The int of a line number, one object for each number below LINES: the frames of a dump
   repeat a few thousand line numbers tens of thousands of times. Made on first use and kept. */
#define LINES 8192
static PyObject *lines[LINES];

static PyObject *line_number(long long line)
{
    if (line < 0 || line >= LINES)
        return PyLong_FromLongLong(line);
    if (lines[line] == NULL && (lines[line] = PyLong_FromLongLong(line)) == NULL)
        return NULL;
    return Py_NewRef(lines[line]);
}

static PyObject *new_frame(PyTypeObject *type, TextCache *names, const char *function,
                           Py_ssize_t function_len, const char *file, Py_ssize_t file_len,
                           long long line)
{
    PyObject *parts[3] = {shared_name(names, function, function_len),
                          shared_name(names, file, file_len), line_number(line)};
    PyObject *frame = NULL;
    if (parts[0] != NULL && parts[1] != NULL && parts[2] != NULL)
        frame = type->tp_alloc(type, 3);
    if (frame == NULL) {
        for (int k = 0; k < 3; k++)
            Py_XDECREF(parts[k]);
        return NULL;
    }
    for (int i = 0; i < 3; i++)
        PyTuple_SET_ITEM(frame, i, parts[i]);
    if (PyObject_IS_GC(frame))
        PyObject_GC_UnTrack(frame);
    return frame;
}

/* The str of s[0:len] (UTF-8, errors replaced), the same object as for every equal name
   before: a dump's frames name a few thousand functions and files tens of thousands of times,
   and one object each costs less memory, less freeing, and compares by identity. */
static PyObject *shared_name(TextCache *names, const char *s, Py_ssize_t len)
{
    unsigned long long hash;
    PyObject *name = cache_get(names, s, len, &hash);
    if (name != NULL) {
        Py_INCREF(name);
        return name;
    }
    name = PyUnicode_DecodeUTF8(s, len, "replace");
    if (name != NULL && cache_put(names, s, len, hash, name) < 0)
        Py_CLEAR(name);
    return name;
}

/* The Frame of the line pair s[0:call_len] "\n" s[call_len + 1:len]; Py_None when the pair is
   not a plain one. A new reference either way. Frames are made afresh for each new stack (their
   names are shared): a cache of frames by their pair's text cost more than it saved, in
   memory touched (page faults) and cache misses, even where most pairs recur. */
static PyObject *pair_frame(TextCache *names, PyTypeObject *type, const char *s,
                            Py_ssize_t call_len, Py_ssize_t len, int creator)
{
    const char *name = s;
    Py_ssize_t name_len = call_len;
    if (creator) { /* "created by NAME" or "created by NAME in goroutine D" (D: 1 to 19 digits) */
        name += 11;
        name_len -= 11;
        Py_ssize_t ps = parent_start(name, name_len);
        if (ps >= 0)
            name_len = ps;
    } else { /* "NAME()" */
        if (call_len < 3 || s[call_len - 2] != '(' || s[call_len - 1] != ')' ||
            (s[0] == '.' && s[1] == '.' && s[2] == '.'))
            Py_RETURN_NONE;
        name_len -= 2;
    }
    int plain = name_len > 0;
    for (Py_ssize_t i = 0; i < name_len && plain; i++)
        plain = !is_blank(name[i]);
    Py_ssize_t path_end;
    long long line;
    if (!plain || !file_line(s + call_len + 1, len - call_len - 1, &path_end, &line))
        Py_RETURN_NONE;
    return new_frame(type, names, name, name_len, s + call_len + 2, path_end - 1, line);
}

/* Read body[0:n] as plain line pairs: 1 with *frames (a tuple) and *creator (Py_None when none)
   as new references and *version, 0 when it is not a plain stack, -1 with an error set. */
static int read_plain(const char *body, Py_ssize_t n, TextCache *names,
                      PyTypeObject *type, PyObject **frames_out, PyObject **creator_out,
                      int *version_out)
{
    if (n > 0 && body[n - 1] == '\n')
        n--; /* the newline of the blank line after the stack */
    PyObject *frames = PyList_New(0), *creator = Py_None;
    if (frames == NULL)
        return -1;
    Py_INCREF(creator);
    int version = 0, r = 0;
    Py_ssize_t s = 0;
    if (n > 0 && body[n - 1] == '\n')
        goto done; /* an empty line */
    while (s < n) {
        const char *nl = memchr(body + s, '\n', n - s);
        if (nl == NULL || nl == body + s)
            goto done; /* no file line, or an empty line */
        Py_ssize_t call_end = nl - body;
        const char *nl2 = memchr(body + call_end + 1, '\n', n - call_end - 1);
        Py_ssize_t end = nl2 == NULL ? n : nl2 - body;
        if (end == call_end + 1)
            goto done;
        int is_creator = call_end - s >= 11 && memcmp(body + s, "created by ", 11) == 0;
        if (is_creator && end != n)
            goto done; /* only the last pair may be the creator */
        PyObject *frame =
            pair_frame(names, type, body + s, call_end - s, end - s, is_creator);
        if (frame == NULL) {
            r = -1;
            goto done;
        }
        if (frame == Py_None) {
            Py_DECREF(frame);
            goto done;
        }
        if (is_creator) {
            Py_SETREF(creator, frame);
            if (parent_start(body + s, call_end - s) >= 0)
                version = 21;
        } else {
            int appended = PyList_Append(frames, frame);
            Py_DECREF(frame);
            if (appended < 0) {
                r = -1;
                goto done;
            }
        }
        s = end + 1;
    }
    if (PyList_GET_SIZE(frames) == 0)
        goto done;
    PyObject *tuple = PyList_AsTuple(frames);
    if (tuple == NULL) {
        r = -1;
        goto done;
    }
    int atomic = 1; /* only untracked frames in it: no cycle can pass through it either */
    for (Py_ssize_t i = 0; atomic && i < PyTuple_GET_SIZE(tuple); i++)
        atomic = !PyObject_GC_IsTracked(PyTuple_GET_ITEM(tuple, i));
    if (atomic)
        PyObject_GC_UnTrack(tuple);
    *frames_out = tuple;
    *creator_out = Py_NewRef(creator);
    *version_out = version;
    r = 1;
done:
    Py_DECREF(frames);
    Py_DECREF(creator);
    return r;
}

static PyObject *plain_stack(PyObject *module, PyObject *args)
{
    const char *body;
    Py_ssize_t n;
    TextCache *names;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "y#O!O!", &body, &n, &TextCacheType, &names, &PyType_Type, &type))
        return NULL;
    if (!PyType_IsSubtype(type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the frame type must be a tuple");
        return NULL;
    }
    PyObject *frames, *creator;
    int version;
    int r = read_plain(body, n, names, type, &frames, &creator, &version);
    if (r <= 0)
        return r < 0 ? NULL : Py_NewRef(Py_None);
    return Py_BuildValue("(NNi)", frames, creator, version);
}

/* A new instance of the tuple subclass `type` holding the n references in `items` (stolen,
   also on failure; a NULL among them fails the call, its error already set). */
static PyObject *new_record(PyTypeObject *type, PyObject **items, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == NULL) {
            for (Py_ssize_t k = 0; k < n; k++)
                Py_XDECREF(items[k]);
            return NULL;
        }
    }
    PyObject *record = type->tp_alloc(type, n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (record == NULL)
            Py_DECREF(items[i]);
        else
            PyTuple_SET_ITEM(record, i, items[i]);
    }
    return record;
}

/* How many times the parent mark (" in goroutine 1\n") is in body[0:n], as bytes.count. */
static Py_ssize_t parent_marks(const char *body, Py_ssize_t n)
{
    Py_ssize_t found = 0;
    const char *p = body, *end = body + n;
    while (end - p > MARK_LEN && (p = memchr(p, ' ', end - p - MARK_LEN)) != NULL) {
        if (memcmp(p, MARK, MARK_LEN) == 0 && p[MARK_LEN] == '\n') {
            found++;
            p += MARK_LEN + 1;
        } else {
            p++;
        }
    }
    return found;
}

/* _Parser._stack for a plain stack, all in C; the Python lines read any other. */
static PyObject *read_stack(PyObject *module, PyObject *args)
{
    const char *body;
    Py_ssize_t n, start;
    TextCache *names;
    PyTypeObject *frame_type, *shape_type, *stack_type;
    PyObject *idents, *is_system;
    if (!PyArg_ParseTuple(args, "y#nO!(O!O!O!)O!O", &body, &n, &start, &TextCacheType, &names,
                          &PyType_Type, &frame_type, &PyType_Type, &shape_type, &PyType_Type,
                          &stack_type, &PyDict_Type, &idents, &is_system))
        return NULL;
    if (start < 0 || start > n) {
        PyErr_SetString(PyExc_ValueError, "the stack starts outside the record");
        return NULL;
    }
    body += start; /* the record's header line is the caller's */
    n -= start;
    if (!PyType_IsSubtype(frame_type, &PyTuple_Type) ||
        !PyType_IsSubtype(shape_type, &PyTuple_Type) ||
        !PyType_IsSubtype(stack_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the frame, shape and stack types must be tuples");
        return NULL;
    }
    PyObject *frames, *creator;
    int version;
    int r = read_plain(body, n, names, frame_type, &frames, &creator, &version);
    if (r <= 0)
        return r < 0 ? NULL : Py_NewRef(Py_False);
    /* _is_system answers False unless the last of two frames or more is runtime.goexit: it
       is asked only then. */
    PyObject *system = Py_NewRef(Py_False);
    Py_ssize_t depth = PyTuple_GET_SIZE(frames);
    PyObject *last = PyTuple_GET_ITEM(PyTuple_GET_ITEM(frames, depth - 1), 0);
    if (depth >= 2 && PyUnicode_Check(last) &&
        PyUnicode_CompareWithASCIIString(last, "runtime.goexit") == 0)
        Py_SETREF(system, PyObject_CallOneArg(is_system, frames));
    int parented = version >= 21; /* read from its creator: the parent id is printed */
    if (system == NULL || parent_marks(body, n) != parented) {
        Py_DECREF(frames);
        Py_DECREF(creator);
        if (system == NULL)
            return NULL;
        Py_DECREF(system);
        Py_RETURN_NONE; /* a parent id blanked somewhere else: the careful path */
    }
    PyObject *key = PyTuple_Pack(2, frames, creator);
    PyObject *next = key == NULL ? NULL : PyLong_FromSsize_t(PyDict_GET_SIZE(idents));
    PyObject *group = next == NULL ? NULL : PyDict_SetDefault(idents, key, next);
    Py_XINCREF(group); /* borrowed */
    Py_XDECREF(key);
    Py_XDECREF(next);
    PyObject *shape_items[5] = {frames, creator, PyLong_FromLong(0), system,
                                PyLong_FromLong(version)};
    PyObject *shape = new_record(shape_type, shape_items, 5);
    if (group == NULL) {
        Py_XDECREF(shape);
        return NULL;
    }
    PyObject *stack_items[3] = {shape, PyBool_FromLong(parented), group};
    return new_record(stack_type, stack_items, 3);
}

static PyMethodDef methods[] = {
    {"plain_stack", plain_stack, METH_VARARGS,
     "plain_stack(body, names, frame_type) -> (frames, created_by, version) or None: see "
     "traceback._Parser._plain_shape."},
    {"read_stack", read_stack, METH_VARARGS,
     "read_stack(record, start, names, (Frame, Shape, Stack), idents, is_system) -> "
     "Stack, None or False: see traceback._Parser._stack."},
    {"signatures", signatures, METH_VARARGS,
     "signatures(states, stacks, creators) -> list of model.signature_of for each group."},
    {"first_ids", first_ids, METH_VARARGS,
     "first_ids(ids, groups, ngroups, per_group) -> [(id, ...), ...]: see builder._first_ids."},
    {"untrack", untrack, METH_O,
     "untrack(objects): see builder._untrack; here the tuples are taken off the collector's "
     "lists."},
    {"split_members", split_members, METH_VARARGS,
     "split_members(index, record_slots, parented, ids, parents) -> 8 arrays: see "
     "traceback._split_members."},
    {"parent_facts", parent_facts, METH_VARARGS,
     "parent_facts(ids, groups, parents, parent_groups, creators, stacks) -> (with_parent, "
     "orphans, returned): see builder.parent_facts."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "goleash.dumps._scan",
    "The traceback fast path's whole-chunk pass in C (see traceback._Parser._fast).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    if (PyType_Ready(&RecordsType) < 0 || PyType_Ready(&ScanType) < 0 ||
        PyType_Ready(&TextCacheType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&RecordsType);
    if (PyModule_AddObject(m, "Records", (PyObject *)&RecordsType) < 0) {
        Py_DECREF(&RecordsType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&TextCacheType);
    if (PyModule_AddObject(m, "TextCache", (PyObject *)&TextCacheType) < 0) {
        Py_DECREF(&TextCacheType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
