"""onnxruntime-genai through its C API, called with ctypes.

The Python extension of onnxruntime-genai 0.18 keeps the GIL while it loads a
model and while it runs a decoding step. ctypes releases the GIL for the
length of every foreign call. Through the C API, the model loads while other
threads import modules, and a local server serves other requests while a
token is being generated.

Only the calls the engine needs are bound. Each C function returns an
``OgaResult*`` that is NULL on success, or carries an error message that is
raised here as ``RuntimeError``, the exception type of the Python extension.
The C API is not thread safe: one thread at a time may use a generator.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

_pointer = ctypes.c_void_p
_library: _GuardedLibrary | None = None
_library_lock = threading.Lock()

# name: (result type, argument types)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "OgaResultGetError": (ctypes.c_char_p, [_pointer]),
    "OgaDestroyResult": (None, [_pointer]),
    "OgaCreateConfig": (_pointer, [ctypes.c_char_p, ctypes.POINTER(_pointer)]),
    "OgaConfigOverlay": (_pointer, [_pointer, ctypes.c_char_p]),
    "OgaDestroyConfig": (None, [_pointer]),
    "OgaCreateModelFromConfig": (_pointer, [_pointer, ctypes.POINTER(_pointer)]),
    "OgaDestroyModel": (None, [_pointer]),
    "OgaCreateGeneratorParams": (_pointer, [_pointer, ctypes.POINTER(_pointer)]),
    "OgaGeneratorParamsSetSearchNumber": (_pointer, [_pointer, ctypes.c_char_p, ctypes.c_double]),
    "OgaGeneratorParamsSetSearchBool": (_pointer, [_pointer, ctypes.c_char_p, ctypes.c_bool]),
    "OgaDestroyGeneratorParams": (None, [_pointer]),
    "OgaCreateGenerator": (_pointer, [_pointer, _pointer, ctypes.POINTER(_pointer)]),
    "OgaDestroyGenerator": (None, [_pointer]),
    "OgaGenerator_IsDone": (ctypes.c_bool, [_pointer]),
    "OgaGenerator_AppendTokens": (_pointer, [_pointer, ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t]),
    "OgaGenerator_GenerateNextToken": (_pointer, [_pointer]),
    "OgaGenerator_GetNextTokens": (
        _pointer,
        [_pointer, ctypes.POINTER(ctypes.POINTER(ctypes.c_int32)), ctypes.POINTER(ctypes.c_size_t)],
    ),
    "OgaGenerator_GetLogits": (_pointer, [_pointer, ctypes.POINTER(_pointer)]),
    "OgaTensorGetType": (_pointer, [_pointer, ctypes.POINTER(ctypes.c_int)]),
    "OgaTensorGetShapeRank": (_pointer, [_pointer, ctypes.POINTER(ctypes.c_size_t)]),
    "OgaTensorGetShape": (_pointer, [_pointer, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t]),
    "OgaTensorGetData": (_pointer, [_pointer, ctypes.POINTER(_pointer)]),
    "OgaDestroyTensor": (None, [_pointer]),
}

# OgaElementType_float32 in ort_genai_c.h.
_FLOAT32 = 1

# Threads inside a C call, counted so that the process waits for them at exit.
_calls = threading.Condition()
_active_calls = 0
_exiting = False
EXIT_WAIT_S = 30.0


@contextmanager
def _native_call() -> Iterator[None]:
    """Count a call into the C library; once the process is exiting, no new call starts."""
    global _active_calls
    with _calls:
        if _exiting:
            if threading.current_thread() is threading.main_thread():
                raise RuntimeError("the process is exiting; onnxruntime-genai takes no more work")
            # A helper thread stops here for good: the process ends around it.
            _calls.wait_for(lambda: False)
        _active_calls += 1
    try:
        yield
    finally:
        with _calls:
            _active_calls -= 1
            _calls.notify_all()


@atexit.register
def _wait_for_calls() -> None:
    # Daemon threads, such as a local server's request threads, keep running
    # while the interpreter shuts down. If one were inside onnxruntime when the
    # C++ runtime destroys its globals, the process would crash at exit.
    global _exiting
    with _calls:
        _exiting = True
        _calls.wait_for(lambda: _active_calls == 0, timeout=EXIT_WAIT_S)


class _GuardedLibrary:
    """The C library, with each function call counted by ``_native_call``."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self._library = library

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._library, name)

        def call(*args: Any) -> Any:
            with _native_call():
                return function(*args)

        setattr(self, name, call)
        return call


def _lib() -> _GuardedLibrary:
    """Load the C library that ships inside the onnxruntime_genai package, once."""
    global _library
    with _library_lock:
        if _library is None:
            # Importing the package loads the onnxruntime shared library that
            # onnxruntime-genai looks up at run time.
            import onnxruntime_genai

            library = ctypes.CDLL(str(Path(onnxruntime_genai.__file__).parent / "libonnxruntime-genai.so"))
            for name, (result_type, argument_types) in _SIGNATURES.items():
                function = getattr(library, name)
                function.restype = result_type
                function.argtypes = argument_types
            _library = _GuardedLibrary(library)
        return _library


def _check(result: int | None) -> None:
    if result:
        lib = _lib()
        message = lib.OgaResultGetError(result)
        lib.OgaDestroyResult(result)
        raise RuntimeError((message or b"onnxruntime-genai failed without a message").decode(errors="replace"))


class Model:
    """A loaded model, created by ``Model.load`` and shared by any number of generators."""

    def __init__(self, handle: _pointer) -> None:
        self._handle = handle

    @classmethod
    def load(cls, folder: Path, overlay: Mapping[str, Any] | None = None) -> Model:
        """Load the model in ``folder`` (its genai_config.json), with ``overlay`` merged into that config."""
        lib = _lib()
        config = _pointer()
        _check(lib.OgaCreateConfig(str(folder).encode(), ctypes.byref(config)))
        try:
            if overlay:
                _check(lib.OgaConfigOverlay(config, json.dumps(overlay).encode()))
            model = _pointer()
            _check(lib.OgaCreateModelFromConfig(config, ctypes.byref(model)))
        finally:
            lib.OgaDestroyConfig(config)
        return cls(model)

    @property
    def handle(self) -> _pointer:
        if not self._handle:
            raise RuntimeError("the model was closed; load it again with Model.load")
        return self._handle

    def close(self) -> None:
        if self._handle:
            _lib().OgaDestroyModel(self._handle)
            self._handle = _pointer()

    def __del__(self) -> None:
        # At exit the process frees everything anyway, and no call may start then.
        if _library is not None and not _exiting:
            self.close()


class Generator:
    """One sequence being decoded by ``model`` with the given search options.

    ``search`` takes the names of the genai_config.json "search" section, for
    example ``max_length``, ``do_sample``, ``temperature`` or ``random_seed``.
    """

    def __init__(self, model: Model, search: Mapping[str, float | int | bool]) -> None:
        self._handle = _pointer()
        lib = _lib()
        self._model = model  # kept alive for as long as the generator
        params = _pointer()
        _check(lib.OgaCreateGeneratorParams(model.handle, ctypes.byref(params)))
        try:
            for name, value in search.items():
                if isinstance(value, bool):
                    _check(lib.OgaGeneratorParamsSetSearchBool(params, name.encode(), value))
                else:
                    _check(lib.OgaGeneratorParamsSetSearchNumber(params, name.encode(), float(value)))
            handle = _pointer()
            _check(lib.OgaCreateGenerator(model.handle, params, ctypes.byref(handle)))
        finally:
            lib.OgaDestroyGeneratorParams(params)
        self._handle = handle
        self._next_tokens = ctypes.POINTER(ctypes.c_int32)()
        self._next_count = ctypes.c_size_t()

    def append_tokens(self, token_ids: Sequence[int]) -> None:
        """Run the model over ``token_ids`` (a prompt, or a part of it) and extend the sequence."""
        array = (ctypes.c_int32 * len(token_ids))(*token_ids)
        _check(_lib().OgaGenerator_AppendTokens(self._handle, array, len(token_ids)))

    def generate_next_token(self) -> int:
        """Run the model over the pending tokens, choose the next token with the search options, and return its id."""
        lib = _lib()
        _check(lib.OgaGenerator_GenerateNextToken(self._handle))
        _check(lib.OgaGenerator_GetNextTokens(self._handle, ctypes.byref(self._next_tokens), ctypes.byref(self._next_count)))
        if self._next_count.value != 1:
            raise RuntimeError(f"expected one next token for one sequence, got {self._next_count.value}")
        return int(self._next_tokens[0])

    def is_done(self) -> bool:
        """True once the sequence reached max_length or an end-of-sequence token."""
        return bool(_lib().OgaGenerator_IsDone(self._handle))

    def last_logits(self) -> np.ndarray:
        """Return a copy of the float32 logits of the last position, one value per vocabulary entry."""
        # Imported here: the gateway never reads logits, and numpy takes about 40 ms to import.
        import numpy as np

        lib = _lib()
        tensor = _pointer()
        _check(lib.OgaGenerator_GetLogits(self._handle, ctypes.byref(tensor)))
        try:
            element_type = ctypes.c_int()
            _check(lib.OgaTensorGetType(tensor, ctypes.byref(element_type)))
            if element_type.value != _FLOAT32:
                raise RuntimeError(f"expected float32 logits, got element type {element_type.value}")
            rank = ctypes.c_size_t()
            _check(lib.OgaTensorGetShapeRank(tensor, ctypes.byref(rank)))
            shape = (ctypes.c_int64 * rank.value)()
            _check(lib.OgaTensorGetShape(tensor, shape, rank.value))
            data = _pointer()
            _check(lib.OgaTensorGetData(tensor, ctypes.byref(data)))
            count = int(np.prod(list(shape)))
            values = np.ctypeslib.as_array(ctypes.cast(data, ctypes.POINTER(ctypes.c_float)), shape=(count,))
            # One sequence: the last shape[-1] values are the last position's logits.
            return values[count - shape[rank.value - 1]:].copy()
        finally:
            lib.OgaDestroyTensor(tensor)

    def close(self) -> None:
        if self._handle:
            _lib().OgaDestroyGenerator(self._handle)
            self._handle = _pointer()

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # At exit the process frees everything anyway, and no call may start then.
        if _library is not None and not _exiting:
            self.close()
