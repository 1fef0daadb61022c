"""Hostile files, generated (never shipped binaries): model archives that lie, zip bombs, decks and exports that
break parsers, foreign and damaged progress stores. Shared by the hardening tests and the fuzz strategy.

A zip bomb here is real: its member decompresses to what it declares (zeros, as deflate blocks each ended with
a full flush, so one compressed block repeated is a valid stream), so a reader that trusted it would really
allocate gigabytes. It is written in milliseconds and takes a few MB on disk.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

from rnn_tutor.core import cells

_MiB = 1 << 20


def npy_header(shape, dtype="<f8") -> bytes:
    """A .npy version 1.0 header declaring ``shape`` and ``dtype`` (no data)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def _deflated_part(data: bytes, final: bool = False) -> bytes:
    """Raw deflate of ``data`` from a fresh compressor, ended byte-aligned with no history (a full flush), or
    ending the stream: such parts concatenate into one valid stream."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _zip64_extra(size: int, csize: int, offset: int | None = None) -> bytes:
    fields = struct.pack("<QQ", size, csize) + (b"" if offset is None else struct.pack("<Q", offset))
    return struct.pack("<HH", 1, len(fields)) + fields


def write_zip(path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip archive from (name, stored bytes, declared size, method) members, zip64 for every member (so
    declared sizes past 4 GiB work). CRCs are those of the declared content only when it is small; a bomb's CRC
    is left 0 (a reader that checks it must decompress everything first, which is what must never happen)."""
    out = io.BytesIO()
    central = []
    for name, data, size, method in members:
        offset = out.tell()
        crc = zlib.crc32(data) if method == zipfile.ZIP_STORED else 0
        raw_name = name.encode()
        extra = _zip64_extra(size, len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                              len(raw_name), len(extra)) + raw_name + extra)
        out.write(data)
        cextra = _zip64_extra(size, len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc,
                                   0xFFFFFFFF, 0xFFFFFFFF, len(raw_name), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF)
                       + raw_name + cextra)
    cd_offset = out.tell()
    cd = b"".join(central)
    out.write(cd)
    # zip64 end of central directory record + locator, then the classic end record
    z64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members), len(cd),
                          cd_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, z64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    with open(path, "wb") as fh:
        fh.write(out.getvalue())


def good_arrays(cell: str = "lstm", d: int = 1, h: int = 3) -> dict[str, np.ndarray]:
    return dict(cells.init_params(cell, d, h))


def npz_bytes(arrays: dict[str, np.ndarray]) -> list[tuple[str, bytes, int, int]]:
    """Members of an honest .npz (stored), for mixing with hostile ones in ``write_zip``."""
    out = []
    for k, v in arrays.items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asanyarray(v), allow_pickle=False)
        data = buf.getvalue()
        out.append((k + ".npy", data, len(data), zipfile.ZIP_STORED))
    return out


def bomb_member(name: str, shape, dtype="<f8") -> tuple[str, bytes, int, int]:
    """A deflated member whose header declares ``shape`` and whose data really inflates to it (zeros)."""
    header = npy_header(shape, dtype)
    nbytes = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
    whole, rest = divmod(nbytes, _MiB)
    data = _deflated_part(header) + _deflated_part(bytes(_MiB)) * whole + _deflated_part(bytes(rest), final=True)
    return name + ".npy", data, len(header) + nbytes, zipfile.ZIP_DEFLATED


def bomb_model(path, shape=(16, 2**25), member="weight_hh_l0") -> None:
    """A cell file whose ``member`` is replaced by a bomb (default: a 4.3 GB float64 weight in ~4 MB)."""
    arrays = good_arrays()
    members = [m for m in npz_bytes(arrays) if m[0] != member + ".npy"] + [bomb_member(member, shape)]
    write_zip(path, members)


def extra_bomb_model(path, size=2 * 2**30) -> None:
    """A good cell file plus an extra member that inflates to ``size`` bytes of zeros (2 GiB by default)."""
    members = npz_bytes(good_arrays()) + [bomb_member("junk", (size // 8,))]
    write_zip(path, members)


def raw_member_model(path, member="weight_ih_l0.npy", data=b"\x80\x04\x95hello") -> None:
    """A cell file where one member holds raw bytes (default: the start of a pickle) instead of a .npy array."""
    arrays = good_arrays()
    members = [m for m in npz_bytes(arrays) if m[0] != member] + [(member, data, len(data), zipfile.ZIP_STORED)]
    write_zip(path, members)


def model_with(path, base: dict[str, np.ndarray], **changes) -> None:
    """``base`` with entries replaced (or added); an entry given as None is dropped."""
    arrays = dict(base)
    for k, v in changes.items():
        if v is None:
            arrays.pop(k, None)
        else:
            arrays[k] = v
    with open(path, "wb") as fh:  # a file object: numpy would append .npz to another suffix
        np.savez(fh, **arrays)


# ------------------------------------------------------------------------------------------- running and checking


def snapshot(folder) -> dict:
    """Every file under ``folder`` with its size, mtime and content hash: equal snapshots = nothing changed."""
    import hashlib
    import os

    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            digest = None
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[os.path.relpath(p, folder)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def run_limited(args: list[str], *, cwd, memory: int = 1 << 30, cpu: int = 60, input: str | None = None):
    """``python -m rnn_tutor ARGS`` in a child limited to ``memory`` bytes of address space and ``cpu`` seconds:
    a bomb that got decompressed would die there (MemoryError -> "out of memory", or SIGXCPU), not pass.
    Returns (completed process, CPU seconds the child used)."""
    import os
    import resource
    import subprocess
    import sys

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, COLUMNS="80", OPENBLAS_NUM_THREADS="1", RNN_TUTOR_NO_FASTPATH="1")
    r = subprocess.run([sys.executable, "-m", "rnn_tutor", *args], cwd=cwd, capture_output=True, text=True,
                       input=input, env=env, preexec_fn=limits, timeout=cpu * 2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return r, used


# ------------------------------------------------------------------------------------------- damaged stores


def btree_pages(path, name: str) -> list[int]:
    """The leaf pages of table or index ``name`` in the SQLite file at ``path``, found by walking its b-tree from
    the root page named in sqlite_master (no dbstat needed), in page order."""
    import sqlite3
    from pathlib import Path

    conn = sqlite3.connect(path)
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    data = Path(path).read_bytes()
    leaves, todo = [], [root]
    while todo:
        page = todo.pop()
        start = (page - 1) * size
        head = start + (100 if page == 1 else 0)  # page 1 starts with the file header
        if data[head] in (0x0A, 0x0D):  # index / table leaf
            leaves.append(page)
            continue
        cells = struct.unpack(">H", data[head + 3:head + 5])[0]
        todo.append(struct.unpack(">I", data[head + 8:head + 12])[0])  # the right-most child
        for i in range(cells):
            at = start + struct.unpack(">H", data[head + 12 + 2 * i:head + 14 + 2 * i])[0]
            todo.append(struct.unpack(">I", data[at:at + 4])[0])  # each cell begins with its left child
    return sorted(leaves)


def overwrite_page(path, page: int, data: bytes | None = None, *, seed: int = 0) -> None:
    """Overwrite one page of an SQLite file in place: with ``data``, or with random bytes (a bad sector, a stray
    write)."""
    import random
    import sqlite3

    conn = sqlite3.connect(path)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    if data is None:
        data = random.Random(seed).randbytes(size)
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(data[:size])
