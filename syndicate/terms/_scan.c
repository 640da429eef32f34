/* Turn pyahocorasick's iter_long output into TermMatch tuples in one C pass.
 *
 * This is the optional fast path of syndicate/terms/matcher.py; the pure-Python loops
 * there are the reference and the fallback (tests/terms/test_matcher.py runs both). It
 * exists because building one tuple per match in Python was most of the matcher's cost
 * (bench/terms.py); it serves the spaced languages (Japanese needs the analyser's word
 * boundaries, matched in Python). The functions only read the iterator's (last, entry) pairs, where
 * entry is matcher._Entry: (length, key_length, concept, term, status, latin_start,
 * latin_end). Anything else raises TypeError or ValueError; nothing here trusts its input.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Unpack one (last, entry) pair; entry's first five fields are read. */
static int
unpack(PyObject *item, Py_ssize_t *last, Py_ssize_t *length, Py_ssize_t *key_length,
       PyObject **entry)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "expected (last, entry) pairs");
        return -1;
    }
    *entry = PyTuple_GET_ITEM(item, 1);
    if (!PyTuple_Check(*entry) || PyTuple_GET_SIZE(*entry) != 7) {
        PyErr_SetString(PyExc_TypeError, "expected a 7-field entry");
        return -1;
    }
    *last = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
    *length = PyLong_AsSsize_t(PyTuple_GET_ITEM(*entry, 0));
    *key_length = PyLong_AsSsize_t(PyTuple_GET_ITEM(*entry, 1));
    if (PyErr_Occurred()) {
        return -1;
    }
    return 0;
}

/* A TermMatch (any tuple subclass of five fields) without Python-level __new__. */
static PyObject *
new_match(PyTypeObject *cls, PyObject *entry, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *start_obj = PyLong_FromSsize_t(start);
    PyObject *end_obj = PyLong_FromSsize_t(end);
    PyObject *match = (start_obj && end_obj) ? cls->tp_alloc(cls, 5) : NULL;
    if (match == NULL) {
        Py_XDECREF(start_obj);
        Py_XDECREF(end_obj);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < 3; i++) {
        PyObject *field = PyTuple_GET_ITEM(entry, i + 2);
        Py_INCREF(field);
        PyTuple_SET_ITEM(match, i, field);
    }
    PyTuple_SET_ITEM(match, 3, start_obj);
    PyTuple_SET_ITEM(match, 4, end_obj);
    return match;
}

static int
check_class(PyTypeObject *cls)
{
    if (!PyType_IsSubtype(cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the match class must be a tuple subclass");
        return -1;
    }
    return 0;
}

/* Collect matches from an iterator; `make` turns one pair into a match, NULL with an
 * error set, or Py_None (borrowed) to drop the pair. */
typedef PyObject *(*maker)(void *state, PyTypeObject *cls, PyObject *item);

static PyObject *
collect(PyObject *iterable, PyTypeObject *cls, maker make, void *state)
{
    PyObject *iterator = PyObject_GetIter(iterable);
    if (iterator == NULL) {
        return NULL;
    }
    PyObject *out = PyList_New(0);
    PyObject *item;
    while (out != NULL && (item = PyIter_Next(iterator)) != NULL) {
        PyObject *match = make(state, cls, item);
        Py_DECREF(item);
        if (match == NULL || (match != Py_None && PyList_Append(out, match) < 0)) {
            Py_CLEAR(out);
        }
        if (match != NULL && match != Py_None) {
            Py_DECREF(match);
        }
    }
    Py_DECREF(iterator);
    if (out != NULL && PyErr_Occurred()) {
        Py_CLEAR(out);
    }
    return out;
}

struct text {
    int kind;
    const void *data;
    Py_ssize_t length;
};

struct words_state {
    struct text doubled;
    Py_ssize_t spaces; /* spaces of the doubled text before `scanned` */
    Py_ssize_t scanned;
};

static PyObject *
make_word(void *raw, PyTypeObject *cls, PyObject *item)
{
    struct words_state *state = raw;
    Py_ssize_t last, length, key_length;
    PyObject *entry;
    if (unpack(item, &last, &length, &key_length, &entry) < 0) {
        return NULL;
    }
    Py_ssize_t word = last - key_length + 2; /* first character of the matched word */
    if (word < state->scanned || word > state->doubled.length) {
        PyErr_SetString(PyExc_ValueError, "match out of order or outside the text");
        return NULL;
    }
    for (Py_ssize_t i = state->scanned; i < word; i++) {
        if (PyUnicode_READ(state->doubled.kind, state->doubled.data, i) == ' ') {
            state->spaces++;
        }
    }
    state->scanned = word;
    Py_ssize_t start = word - 1 - state->spaces / 2;
    return new_match(cls, entry, start, start + length);
}

/* whole_words(pairs, doubled, cls): see Matcher._whole_words. */
static PyObject *
whole_words(PyObject *module, PyObject *args)
{
    PyObject *iterable, *doubled;
    PyTypeObject *cls;
    if (!PyArg_ParseTuple(args, "OUO!", &iterable, &doubled, &PyType_Type, &cls) ||
        check_class(cls) < 0) {
        return NULL;
    }
    struct words_state state = {
        {PyUnicode_KIND(doubled), PyUnicode_DATA(doubled), PyUnicode_GET_LENGTH(doubled)},
        0,
        1,
    };
    return collect(iterable, cls, make_word, &state);
}

static PyMethodDef methods[] = {
    {"whole_words", whole_words, METH_VARARGS,
     "whole_words(pairs, doubled, cls) -> list: matches of a spaced language's doubled text"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The matcher's optional C fast path.", -1, methods,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    return PyModule_Create(&module);
}
