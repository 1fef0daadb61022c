"""The user's files, read and written safely: every loader and saver goes through here.

What a file the user names can be, and what each function does about it:

- a path the system cannot take (a name over ``NAME_MAX`` bytes, a path over ``PATH_MAX``, a NUL): refused
  before any system call, naming the limit (``check_path``);
- missing, a folder, a device (``/dev/zero``, ``/dev/tty``), a socket, or a symlink to one of them: refused by
  what it is (``fstat`` on the opened descriptor, so a symlink is judged by what it points to);
- a FIFO / pipe (``<(cat deck.toml)``, ``/dev/stdin`` in a pipeline): text readers read it, model readers
  (zip archives, which must seek) refuse it; it is opened non-blocking, so a FIFO nobody writes to reads as
  empty instead of hanging;
- bigger than the caller's limit: refused. The limit is enforced by counting the bytes read, never by
  trusting ``st_size``;
- a ``.npz`` archive: ``NpzArchive`` checks the member names, the zip's declared sizes and every member's
  ``.npy`` header (dtype and shape) before it reads any data (see its docstring).

Writing (``write_atomic``) goes through a temporary file in the target's folder, renamed onto the target, and
refuses a target that exists and is not a regular file (``--save /dev/full`` must not replace a device node).

Errors are ``FileError`` (exit 1), or ``BadFileValue`` (exit 2, naming ``option``) when the caller passes an
option; both carry ``kind`` (one of ``KINDS``) for callers that word one case their own way. No numpy at
import time: the trace fast path reads files through here.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rnn_tutor.errors import BadValueError, RnnTutorError

KINDS = ("bad_path", "missing", "directory", "not_regular", "too_large", "permission", "not_text", "unreadable",
         "damaged", "unwritable")
CHUNK = 1 << 20
# Model files: at most this many bytes of arrays (declared in the .npy headers, summed over the archive) and
# members. An LSTM with H = 1024 and 1,024 inputs is 67 MB in float64, so this leaves room for many layers.
MAX_NPZ_BYTES = 500_000_000
MAX_NPZ_MEMBERS = 1024
MAX_NPY_HEADER = 10_000  # numpy's own default cap on a .npy header
_NPZ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what numpy.savez / savez_compressed write


class FileError(RnnTutorError):
    """A file that cannot be used: exit 1."""

    def __init__(self, kind: str, message: str, hint: str | None = None):
        super().__init__(message, hint)
        self.kind = kind


class BadFileValue(BadValueError):
    """A file given as an option's value that cannot be used: exit 2, naming the option."""

    def __init__(self, option: str, kind: str, message: str, hint: str | None = None):
        super().__init__(option, message, hint)
        self.kind = kind


FILE_ERRORS = (FileError, BadFileValue)


def fail(kind: str, message: str, hint: str | None = None, option: str | None = None) -> RnnTutorError:
    return FileError(kind, message, hint) if option is None else BadFileValue(option, kind, message, hint)


def size_text(n: int) -> str:
    """Bytes for people: 4.3 GB, 512 MB, 12 kB, 80 bytes (powers of 1000, as file managers show them)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def _label(path, what: str) -> str:
    return f"{what} {path}" if what else str(path)


def _lead(path, what: str, doing: str | None) -> str:
    return f"cannot {doing} {_label(path, what)}" if doing else _label(path, what)


# ------------------------------------------------------------------------------------------- paths


def _limits(path: str) -> tuple[int, int]:
    """(NAME_MAX, PATH_MAX) of the file system holding ``path`` (its nearest existing folder)."""
    folder = os.path.dirname(os.path.abspath(path)) or "/"
    while folder and not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), os.pathconf(folder, "PC_PATH_MAX")
    except (AttributeError, ValueError, OSError):  # no pathconf (Windows) or no answer
        return 255, 4096


def check_path(path, *, what: str = "", option: str | None = None, doing: str | None = None) -> None:
    """Refuse a path the system cannot take, before any system call would fail on it. Messages start with
    "<what> <path>", or "cannot <doing> <what> <path>" when ``doing`` is given."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        lead = f"cannot {doing} {what or 'a file'}" if doing else f"the {what or 'file'} name"
        raise fail("bad_path", f"{lead}: the name is empty", "give a file name", option)
    if "\x00" in text:
        raise fail("bad_path", f"{_lead(repr(text), what, doing)}: a path cannot contain a NUL character",
                   "give a plain file name", option)
    name_max, path_max = _limits(text)
    raw = os.fsencode(text)
    longest = max(raw.split(b"/"), key=len)
    short = text if len(text) <= 60 else text[:28] + "..." + text[-28:]
    if len(longest) > name_max:
        raise fail("bad_path", f"{_lead(short, what, doing)}: a name in the path is {len(longest):,} bytes long; this "
                               f"system allows at most {name_max} per name", "choose a shorter name", option)
    if len(raw) >= path_max:
        raise fail("bad_path", f"{_lead(short, what, doing)}: the path is {len(raw):,} bytes long; this system allows "
                               f"at most {path_max - 1}", "choose a shorter path", option)


def _os_problem(exc: OSError, path, what: str, option: str | None, doing: str = "read") -> RnnTutorError:
    label = _label(path, what)
    code = exc.errno
    if code == errno.ENOENT:
        return fail("missing", f"{label} does not exist", "check the path", option)
    if code in (errno.EACCES, errno.EPERM):
        return fail("permission", f"cannot {doing} {label}: permission denied",
                    "check the file's permissions", option)
    if code == errno.EISDIR:
        return fail("directory", f"{label} is a folder, not a file", "give the path of a file", option)
    if code == errno.ENOTDIR:
        return fail("missing", f"{label} does not exist (a part of the path is a file, not a folder)",
                    "check the path", option)
    if code == errno.ELOOP:
        return fail("bad_path", f"{label}: too many levels of symbolic links (a link loop?)",
                    "check where the links point", option)
    if code == errno.ENAMETOOLONG:
        return fail("bad_path", f"{label}: the path is too long for this system", "choose a shorter path", option)
    if code == errno.ENXIO:
        return fail("not_regular", f"{label} is a socket or a device with nothing behind it, not a file",
                    "give the path of a regular file", option)
    if code == errno.ENOSPC:
        return fail("unwritable", f"cannot {doing} {label}: the disk is full", "free some space", option)
    if code == errno.EROFS:
        return fail("unwritable", f"cannot {doing} {label}: the file system is read-only",
                    "choose a path on a writable disk", option)
    return fail("unreadable" if doing == "read" else "unwritable",
                f"cannot {doing} {label}: {exc.strerror or exc}", None, option)


def _kind_of(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def kind_if_not_regular(path) -> str | None:
    """'a pipe (FIFO)', 'a character device (/dev/zero)', ... when ``path`` exists and is not a regular file
    (symlinks followed), else None."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    real = os.path.realpath(path)
    return _kind_of(mode) + (f" ({real})" if real != os.path.abspath(path) else "")


def _not_regular(path, what: str, mode: int, option: str | None, pipes_ok: bool) -> RnnTutorError:
    if stat.S_ISDIR(mode):
        return fail("directory", f"{_label(path, what)} is a folder, not a file", "give the path of a file", option)
    real = os.path.realpath(path)
    points = f" ({real})" if real != os.path.abspath(path) else ""
    if stat.S_ISFIFO(mode):
        hint = "save it to a file first"
    else:
        hint = "give the path of a regular file" + (" or a pipe" if pipes_ok else "")
    return fail("not_regular", f"{_label(path, what)} is {_kind_of(mode)}{points}, not a regular file", hint,
                option)


def _open_fd(path, what: str, option: str | None, pipes_ok: bool) -> tuple[int, os.stat_result]:
    check_path(path, what=what, option=option)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO nobody writes to must not hang
    except OSError as exc:
        raise _os_problem(exc, path, what, option) from None
    try:
        st = os.fstat(fd)  # the opened file itself: a symlink is judged by what it points to
        if not (stat.S_ISREG(st.st_mode) or (pipes_ok and stat.S_ISFIFO(st.st_mode))):
            raise _not_regular(path, what, st.st_mode, option, pipes_ok)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a pipe's writer may be slow: wait for it like any reader does
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _too_large(path, what: str, limit: int, option: str | None, hint: str | None) -> RnnTutorError:
    return fail("too_large", f"{_label(path, what)} is larger than {size_text(limit)}, the most rnn-tutor reads "
                             f"for a {what or 'file'}", hint or "split it into smaller files", option)


def read_bytes(path, *, limit: int, what: str = "", option: str | None = None, pipes_ok: bool = True,
               too_large_hint: str | None = None) -> bytes:
    """The whole content of a regular file (or a pipe, if ``pipes_ok``), at most ``limit`` bytes."""
    fd, st = _open_fd(path, what, option, pipes_ok)
    try:
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise _too_large(path, what, limit, option, too_large_hint)  # known at once, nothing read
        chunks, total = [], 0
        while True:  # count what arrives: st_size of a pipe (or a growing file) says nothing
            try:
                block = os.read(fd, min(CHUNK, limit + 1 - total))
            except OSError as exc:
                raise _os_problem(exc, path, what, option) from None
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > limit:
                raise _too_large(path, what, limit, option, too_large_hint)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path, *, limit: int, what: str = "", option: str | None = None, pipes_ok: bool = True,
              too_large_hint: str | None = None) -> str:
    """``read_bytes`` decoded as UTF-8 (a byte-order mark is dropped); bad bytes are named by line."""
    data = read_bytes(path, limit=limit, what=what, option=option, pipes_ok=pipes_ok, too_large_hint=too_large_hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail("not_text", f"{_label(path, what)}, line {line}: not UTF-8 text", "save the file as UTF-8",
                   option) from None


def open_regular(path, *, what: str = "", option: str | None = None):
    """A binary file object for a regular file (zip archives seek, so no pipes)."""
    fd, _ = _open_fd(path, what, option, pipes_ok=False)
    return os.fdopen(fd, "rb")


# ------------------------------------------------------------------------------------------- writing


def check_writable(path, *, what: str = "", option: str | None = None, doing: str = "write") -> Path:
    """The real path ``write_atomic`` would write (a symlink's target), or an error saying why it cannot:
    call it before long work (training) so the failure comes first. Messages start "cannot <doing> <path>"."""
    check_path(path, what=what, option=option, doing=doing)
    lead = _lead(path, what, doing)
    target = Path(path)
    try:
        st = os.stat(target)  # follows a symlink: what would really be replaced
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _os_problem(exc, path, what, option, doing) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise fail("directory", f"{lead}: that is a folder, not a file name", "give a file name", option)
        raise fail("not_regular", f"{lead}: it is {_kind_of(st.st_mode)}, and rnn-tutor replaces only regular "
                                  "files", "give another file name", option)
    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    folder = real.parent if str(real.parent) else Path(".")
    if not folder.is_dir():
        raise fail("missing", f"{lead}: the folder {folder} does not exist",
                   "create the folder first or choose another path", option)
    if not os.access(folder, os.W_OK) or (st is not None and not os.access(real, os.W_OK)):
        try:
            read_only = bool(os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1))
        except (AttributeError, OSError):
            read_only = False
        why = "the file system is read-only" if read_only else "permission denied"
        raise fail("permission", f"{lead}: {why}", "choose a path in a folder you can write to", option)
    return real


def write_atomic(path, write, *, what: str = "", option: str | None = None, doing: str = "write",
                 hint: str | None = None) -> Path:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it onto ``path``: the old file
    stays whole until the new one is complete. A symlink keeps pointing where it did (its target is replaced);
    a new file gets the usual permissions (0666 less the umask), a replaced one keeps its own. Returns ``path``."""
    import tempfile

    real = check_writable(path, what=what, option=option, doing=doing)
    folder = real.parent if str(real.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name[:40]}-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _os_problem(exc, path, what, option, doing) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            problem = _os_problem(exc, path, what, option, doing)
            if hint and problem.hint is None:
                problem.hint = hint
            raise problem from None
        raise
    return Path(path)


# ------------------------------------------------------------------------------------------- .npz archives


@dataclass(frozen=True)
class ArrayInfo:
    """What a member's .npy header says, read before its data."""

    name: str  # the key (member name without .npy)
    shape: tuple[int, ...]
    dtype: object  # numpy.dtype
    nbytes: int
    header_bytes: int = 0  # where the data starts in the member
    fortran_order: bool = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


class NpzArchive:
    """A ``.npz`` archive whose structure is checked before any array data is read.

    Opening checks, from the zip's central directory and the start of each member only:
    every member is named ``<key>.npy`` (no other files, no name twice), is stored or deflated (as numpy writes
    them), unencrypted, at most ``MAX_NPZ_MEMBERS`` of them; each member's .npy header parses (version 1 or 2,
    at most ``MAX_NPY_HEADER`` bytes), declares a plain dtype (no Python objects, which would need pickle; no
    structured records) and a shape whose bytes plus the header equal the size the zip declares for the
    member; and the declared bytes of all members together are at most ``limit``. ``infos`` then holds each
    key's shape and dtype, so a caller validates names, shapes and dtypes before calling ``read``.

    Reading is bounded by the declared sizes (the zip reader stops at them), so a zip bomb is refused by its
    declaration, before it is decompressed. Errors name the member and what is wrong with it.
    """

    def __init__(self, path, *, what: str = "model file", limit: int = MAX_NPZ_BYTES,
                 hint: str | None = None):
        self.path, self.what, self.hint = path, what, hint
        self._fh = open_regular(path, what=what)
        try:
            self._sniff()
            self._zip = self._open_zip()
            self.infos: dict[str, ArrayInfo] = self._scan(limit)
        except BaseException:
            self.close()
            raise

    # -- errors
    def bad(self, message: str, hint: str | None = None, kind: str = "damaged") -> FileError:
        return FileError(kind, f"{_label(self.path, self.what)}: {message}", hint or self.hint)

    def _sniff(self) -> None:
        """Say what a file that is not a zip archive is (numpy would call most of them "pickled data")."""
        try:
            magic = self._fh.read(6)
            self._fh.seek(0)
        except OSError as exc:
            raise _os_problem(exc, self.path, self.what, None) from None
        if not magic:
            raise self.bad("the file is empty")
        if magic.startswith(b"\x93NUMPY"):
            raise self.bad("holds a single array, not named arrays",
                           "save a dict of arrays with numpy.savez(path, **arrays)")
        if magic[:1] == b"\x80":
            raise self.bad("holds pickled data, which is never loaded because it could run code",
                           "save plain arrays with numpy.savez")
        if not magic.startswith(b"PK"):
            raise self.bad("not a .npz archive (it does not start like a zip file)")

    def _open_zip(self):
        try:
            return zipfile.ZipFile(self._fh)
        except zipfile.BadZipFile as exc:
            raise self.bad(f"is not a complete zip archive, so it is truncated or damaged ({exc})") from None
        except Exception as exc:  # OSError, EOFError, ValueError, NotImplementedError (a "zip version 10.9")...
            raise self.bad(f"cannot be read as a .npz archive ({type(exc).__name__}: {str(exc)[:80]})") from None

    def _scan(self, limit: int) -> dict[str, ArrayInfo]:
        members = self._zip.infolist()
        if len(members) > MAX_NPZ_MEMBERS:
            raise self.bad(f"has {len(members):,} entries; rnn-tutor reads at most {MAX_NPZ_MEMBERS:,}")
        infos: dict[str, ArrayInfo] = {}
        total = 0
        for member in members:
            name = member.filename
            if not name.endswith(".npy") or len(name) == 4:
                raise self.bad(f"entry {name!r} is not a .npy array; a .npz archive holds only .npy members, "
                               "one per named array")
            key = name[:-4]
            if key in infos:
                raise self.bad(f"holds two entries named {name!r}")
            if member.flag_bits & 0x1:
                raise self.bad(f"entry {key!r} is encrypted")
            if member.compress_type not in _NPZ_METHODS:
                raise self.bad(f"entry {key!r} uses zip compression method {member.compress_type}, which numpy "
                               "never writes")
            infos[key] = self._header(member, key, limit)  # its shape and dtype, and their size checked
            total += member.file_size
            if total > limit:
                raise self.bad(f"its entries declare {size_text(total)} of data in all; rnn-tutor reads model "
                               f"files of at most {size_text(limit)}", kind="too_large")
        return infos

    def _header(self, member, key: str, limit: int) -> ArrayInfo:
        import numpy as np
        from numpy.lib import format as npy

        try:
            with self._zip.open(member) as fp:
                magic = fp.read(len(npy.MAGIC_PREFIX))
                if magic != npy.MAGIC_PREFIX:
                    what = ("pickled data, which is never loaded because it could run code" if magic[:1] == b"\x80"
                            else "raw bytes" if magic else "nothing (it is empty)")
                    raise self.bad(f"entry {key!r} is not in .npy format: it holds {what}",
                                   "save plain arrays with numpy.savez")
                version = tuple(fp.read(2))
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(fp, max_header_size=MAX_NPY_HEADER)
                elif version == (2, 0):
                    shape, fortran, dtype = npy.read_array_header_2_0(fp, max_header_size=MAX_NPY_HEADER)
                else:
                    raise self.bad(f"entry {key!r} has .npy format version {version}; rnn-tutor reads 1.0 and 2.0")
                header_bytes = fp.tell()
        except FileError:
            raise
        except (ValueError, SyntaxError, TypeError) as exc:
            text = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise self.bad(f"entry {key!r} has an unreadable .npy header ({text})") from None
        except Exception as exc:  # zlib.error, BadZipFile, EOFError, OSError: the member itself is damaged
            raise self._damaged(key, exc) from None
        dtype = np.dtype(dtype)
        if dtype.hasobject:
            raise self.bad(f"entry {key!r} holds pickled objects, which are never loaded because they could run code",
                           "store plain numeric arrays")
        if dtype.fields is not None or dtype.subdtype is not None or dtype.kind == "V":
            raise self.bad(f"entry {key!r} has a structured dtype {dtype}; expected plain numbers or text")
        if any(d < 0 for d in shape):
            raise self.bad(f"entry {key!r} declares a negative dimension in its shape {shape}")
        info = ArrayInfo(key, tuple(int(d) for d in shape), dtype, 0)
        nbytes = info.size * dtype.itemsize
        if nbytes > limit:
            raise self.bad(f"entry {key!r} declares shape {info.shape} of {dtype}, {size_text(nbytes)}; rnn-tutor "
                           f"reads model files of at most {size_text(limit)}", kind="too_large")
        if header_bytes + nbytes != member.file_size:
            more = "less" if header_bytes + nbytes > member.file_size else "more"
            raise self.bad(f"entry {key!r} declares shape {info.shape} of {dtype} ({nbytes:,} bytes of data), but "
                           f"the archive holds {more} ({member.file_size - header_bytes:,} bytes): the file is "
                           "damaged or truncated")
        return ArrayInfo(key, info.shape, dtype, nbytes, header_bytes, bool(fortran))

    def read(self, key: str):
        """The array stored under ``key`` (validate ``infos[key]`` first), read as its checked header declared:
        exactly ``nbytes`` bytes after the header, never more."""
        import numpy as np

        info = self.infos[key]
        try:
            with self._zip.open(key + ".npy") as fp:
                fp.read(info.header_bytes)
                data = fp.read(info.nbytes)
                if len(data) != info.nbytes:
                    raise ValueError(f"expected {info.nbytes:,} bytes of data, got {len(data):,}")
                fp.read(1)  # the end of the member: the zip reader checks its checksum here
            shape = info.shape[::-1] if info.fortran_order else info.shape
            array = np.frombuffer(data, dtype=info.dtype).reshape(shape).copy()
            return array.T if info.fortran_order else array
        except MemoryError:
            raise self.bad(f"entry {key!r} ({size_text(self.infos[key].nbytes)}) does not fit in memory",
                           "free some memory", kind="too_large") from None
        except ValueError as exc:
            raise self.bad(f"entry {key!r} is shorter than its header says: the file is truncated or damaged "
                           f"({str(exc)[:80]})") from None
        except Exception as exc:  # BadZipFile (a checksum), zlib.error, EOFError, OSError
            raise self._damaged(key, exc) from None

    def _damaged(self, key: str, exc: Exception) -> FileError:
        if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
            return self.bad(f"entry {key!r} is damaged: its checksum does not match its data")
        return self.bad(f"entry {key!r} cannot be read; the file is damaged or truncated "
                        f"({type(exc).__name__}: {str(exc)[:80]})")

    def close(self) -> None:
        zf = getattr(self, "_zip", None)
        if zf is not None:
            zf.close()
        self._fh.close()

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
