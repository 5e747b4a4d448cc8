"""Capture readers and writers: real files, round trips, damaged and hostile input."""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PCAPS
from otm.capture.readers import MAX_RECORD, CaptureError, CaptureReader, open_capture
from otm.capture.writer import PcapngWriter, PcapWriter

CAPTURES = sorted(p.name for p in PCAPS.glob("*") if p.suffix in (".pcap", ".pcapng"))

# -- real captures ------------------------------------------------------------------


@pytest.mark.parametrize("name", CAPTURES)
def test_frame_count_matches_groundtruth(name: str, pcaps: Path) -> None:
    gt = json.loads((pcaps / "groundtruth" / f"{name}.json").read_text())
    with open_capture(pcaps / name) as reader:
        numbers = [frame[0] for frame in reader]
        assert reader.error is None
        assert reader.bytes_read == reader.size == (pcaps / name).stat().st_size
    assert numbers == list(range(1, gt["frames"] + 1))


def test_shared_set_has_both_formats_and_several_linktypes(pcaps: Path) -> None:
    """Guard: the real-file tests above must keep covering pcapng and non-Ethernet links."""
    formats, linktypes = set(), set()
    for name in CAPTURES:
        with open_capture(pcaps / name) as reader:
            formats.add(reader.format)
            linktypes |= {lt for _, _, lt, _ in reader}
    assert formats == {"pcap", "pcapng"}
    assert {0, 1, 113} <= linktypes


@pytest.mark.tshark
@pytest.mark.parametrize(
    "name",
    [
        "mb2.pcap",
        "s7comm_plus.pcap",  # Linux cooked
        "python_opcua-client-server_minimal.pcap",  # BSD loopback
        "iedscout.pcap",  # pcapng
        "open62541_client-server_encrypted.pcap",  # pcapng, loopback
        "wincc_s400_production.pcapng",  # pcap despite its name
    ],
)
def test_timestamps_and_lengths_agree_with_tshark(name: str, pcaps: Path, tshark: str) -> None:
    out = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(pcaps / name),
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    expected = [line.split("\t") for line in out if line]
    with open_capture(pcaps / name) as reader:
        got = list(reader)
    assert len(got) == len(expected)
    for (number, ts, _, data), (t_number, t_ts, t_len) in zip(got, expected, strict=True):
        assert number == int(t_number)
        assert ts == pytest.approx(float(t_ts), abs=1e-6)
        assert len(data) == int(t_len)


# -- round trips ----------------------------------------------------------------------

FRAMES = [bytes([i]) * (14 + 7 * i) for i in range(1, 25)]
TIMES = [1_700_000_000.0 + i * 0.123457 for i in range(len(FRAMES))]


def _pcap(nanosecond: bool = False, big_endian: bool = False, linktype: int = 1) -> bytes:
    buf = io.BytesIO()
    writer = PcapWriter(buf, linktype=linktype, nanosecond=nanosecond, big_endian=big_endian)
    for ts, frame in zip(TIMES, FRAMES, strict=True):
        writer.write(ts, frame)
    return buf.getvalue()


def _read(data: bytes) -> tuple[list[tuple[int, float, int, bytes]], CaptureReader]:
    with open_capture(io.BytesIO(data)) as reader:
        return list(reader), reader


@pytest.mark.parametrize("nanosecond", [False, True])
@pytest.mark.parametrize("big_endian", [False, True])
def test_pcap_round_trip(nanosecond: bool, big_endian: bool) -> None:
    data = _pcap(nanosecond, big_endian, linktype=113)
    magic = data[:4] if big_endian else data[:4][::-1]
    assert magic.hex() == ("a1b23c4d" if nanosecond else "a1b2c3d4")
    frames, reader = _read(data)
    assert reader.format == "pcap" and reader.error is None
    assert [f[0] for f in frames] == list(range(1, len(FRAMES) + 1))
    assert [f[3] for f in frames] == FRAMES
    assert {f[2] for f in frames} == {113}
    for (_, ts, _, _), expected in zip(frames, TIMES, strict=True):
        assert ts == pytest.approx(expected, abs=1e-6)


def test_pcap_nanoseconds_are_kept() -> None:
    buf = io.BytesIO()
    PcapWriter(buf, nanosecond=True).write(1.000000123, b"x" * 20)
    ((_, ts, _, _),), _ = _read(buf.getvalue())
    # Fraction field written as 123 ns exactly; float keeps it at this magnitude.
    assert struct.unpack_from("<I", buf.getvalue(), 28)[0] == 123
    assert ts == pytest.approx(1.000000123, abs=1e-12)


def test_pcap_kuznetzov_variant_skips_the_longer_record_header() -> None:
    head = struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    records = b""
    for i, frame in enumerate(FRAMES[:3]):
        records += struct.pack("<IIII", 100 + i, 5, len(frame), len(frame)) + bytes(8) + frame
    frames, _ = _read(head + records)
    assert [f[3] for f in frames] == FRAMES[:3]
    assert [f[1] for f in frames] == [100.000005, 101.000005, 102.000005]


def _pcapng(
    big_endian: bool = False, simple: bool = True
) -> tuple[bytes, list[tuple[float, int, bytes]]]:
    """Two interfaces (Ethernet µs; raw IPv4 at 2^-20 s with an offset), EPB,
    OPB, SPB, skipped blocks; returns the file and (ts, linktype, frame) per packet."""
    buf = io.BytesIO()
    w = PcapngWriter(buf, big_endian=big_endian)
    eth = w.add_interface(1, name="eth0")
    raw = w.add_interface(228, tsresol=0x80 | 20, tsoffset=1_600_000_000)
    w.write_block(4, b"\x01\x00\x08\x00" + bytes(8))  # NRB
    expected: list[tuple[float, int, bytes]] = []
    for i, frame in enumerate(FRAMES[:10]):
        if_id = eth if i % 2 else raw
        ts = 1_700_000_000.0 + i * 0.5 + (0.25 if if_id == raw else 0.000123)
        w.write(ts, frame, if_id=if_id, obsolete=i == 3)
        expected.append((ts, 1 if if_id == eth else 228, frame))
    w.write_block(5, struct.pack("<IIII", 0, 0, 0, 0))  # ISB
    if simple:
        w.write_simple(FRAMES[11])
        expected.append((expected[-1][0], 1, FRAMES[11]))  # SPB: previous time repeated
    return buf.getvalue(), expected


def test_pcapng_numbers_frames_as_wireshark_around_custom_blocks() -> None:
    """A custom block is a frame number in Wireshark (checked with tshark 4.0)
    but no packet: the next packet is frame 3."""
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    w.add_interface(1)
    w.write(1.0, FRAMES[0])
    w.write_block(0x00000BAD, b"\x00\x00\x7f\x00custom")
    w.write(2.0, FRAMES[1])
    frames, reader = _read(buf.getvalue())
    assert [(f[0], f[3]) for f in frames] == [(1, FRAMES[0]), (3, FRAMES[1])]
    assert reader.error is None


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_round_trip_two_interfaces(big_endian: bool) -> None:
    data, expected = _pcapng(big_endian)
    frames, reader = _read(data)
    assert reader.format == "pcapng" and reader.error is None
    assert reader.byte_order == ("big" if big_endian else "little")  # type: ignore[attr-defined]
    assert [(f[2], f[3]) for f in frames] == [(lt, fr) for _, lt, fr in expected]
    for got, (ts, _, _) in zip(frames, expected, strict=True):
        # 2^-20 s units: about 1 µs
        assert got[1] == pytest.approx(ts, abs=2e-6)


def test_pcapng_sections_switch_byte_order_and_forget_interfaces() -> None:
    first, expected_first = _pcapng(big_endian=False, simple=False)
    second, expected_second = _pcapng(big_endian=True, simple=False)
    frames, reader = _read(first + second)
    assert reader.error is None
    assert [f[3] for f in frames] == [e[2] for e in expected_first + expected_second]
    assert [f[0] for f in frames] == list(range(1, len(frames) + 1))


def test_pcapng_simple_packet_is_cut_to_interface_snaplen() -> None:
    buf = io.BytesIO()
    w = PcapngWriter(buf)
    w.add_interface(1, snaplen=20)
    w.write_simple(b"y" * 50, orig_len=50)
    frames, reader = _read(buf.getvalue())
    assert reader.error is None
    assert frames == [(1, 0.0, 1, b"y" * 20)]


@pytest.mark.tshark
def test_writers_are_read_by_tshark(tmp_path: Path, tshark: str) -> None:
    """The writers against the oracle: tshark sees our times, lengths and link types."""
    data, expected = _pcapng(simple=False)
    path = tmp_path / "w.pcapng"
    path.write_bytes(data)
    out = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(path),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.interface_id",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rows = [out[i : i + 3] for i in range(0, len(out), 3)]
    assert len(rows) == len(expected)
    for (ts, length, if_id), (e_ts, e_lt, e_frame) in zip(rows, expected, strict=True):
        assert float(ts) == pytest.approx(e_ts, abs=2e-6)
        assert int(length) == len(e_frame)
        assert int(if_id) == (0 if e_lt == 1 else 1)
    pcap = tmp_path / "w.pcap"
    pcap.write_bytes(_pcap(nanosecond=True, big_endian=True))
    out = subprocess.run(
        [tshark, "-n", "-r", str(pcap), "-T", "fields", "-e", "frame.time_epoch"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [float(t) for t in out] == pytest.approx(TIMES, abs=1e-6)


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_gzip_is_detected_by_magic(kind: str, tmp_path: Path) -> None:
    data = _pcap() if kind == "pcap" else _pcapng()[0]
    path = tmp_path / "capture.bin"  # no telling extension
    path.write_bytes(gzip.compress(data))
    with open_capture(path) as reader:
        frames = list(reader)
        assert reader.compressed and reader.format == kind
        assert reader.size == path.stat().st_size
        assert reader.bytes_read == reader.size
        assert reader.error is None
    assert frames == _read(data)[0]


def test_large_file_streams_in_blocks(tmp_path: Path) -> None:
    """Several read blocks: records straddling block ends come out whole."""
    path = tmp_path / "big.pcap"
    sizes = [1 + (i * 7919) % 1500 for i in range(3000)]  # ~2.2 MB
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for i, size in enumerate(sizes):
            writer.write(float(i), i.to_bytes(4, "big") * (size // 4 + 1))
    progress = []
    with open_capture(path) as reader:
        for frame_no, _, _, data in reader:
            assert data[:4] == (frame_no - 1).to_bytes(4, "big")
            progress.append(reader.bytes_read)
        assert frame_no == len(sizes)
    assert progress == sorted(progress) and progress[-1] == path.stat().st_size
    assert progress[0] < progress[-1]  # it did not read everything at once


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_a_reader_is_one_pass(kind: str) -> None:
    data = _pcap() if kind == "pcap" else _pcapng()[0]
    with open_capture(io.BytesIO(data)) as reader:
        first = iter(reader)
        next(first)
        assert list(reader) == []  # a second pass yields nothing...
        assert len(list(first)) > 5  # ...and does not disturb the first
        assert reader.error is None


def test_context_manager_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    path.write_bytes(_pcap())
    with open_capture(path) as reader:
        next(iter(reader))
    assert reader._raw.closed


# -- broken input ------------------------------------------------------------------------


def test_zero_length_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    with pytest.raises(CaptureError, match="empty file"):
        open_capture(path)


def test_not_a_capture_says_what_it_starts_with() -> None:
    with pytest.raises(CaptureError, match=r"not a pcap or pcapng file.*3c 21 44 4f"):
        open_capture(io.BytesIO(b"<!DOCTYPE html><html></html>"))


def test_empty_gzip_and_broken_gzip() -> None:
    with pytest.raises(CaptureError, match="empty capture inside gzip"):
        open_capture(io.BytesIO(gzip.compress(b"")))
    with pytest.raises(CaptureError, match="gzip"):
        open_capture(io.BytesIO(b"\x1f\x8b" + bytes(30)))


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (struct.pack("<IHHiIII", 0xA1B2C3D4, 3, 1, 0, 0, 65535, 1), "pcap version 3.1"),
        (struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 2, 0, -1) + struct.pack("<I", 28),
         "pcapng version 2.0"),
        (struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x11223344, 1, 0, -1, 28), "byte-order magic"),
        (struct.pack("<IHH", 0xA1B2C3D4, 2, 4), "cut short"),
    ],
)  # fmt: skip
def test_unsupported_or_cut_header(head: bytes, message: str) -> None:
    with pytest.raises(CaptureError, match=message):
        open_capture(io.BytesIO(head))


def test_record_claiming_two_gigabytes_is_corruption() -> None:
    data = _pcap()
    good = data[: 24 + 16 + len(FRAMES[0])]
    bad = good + struct.pack("<IIII", 1, 0, 2**31, 2**31) + b"tail"
    frames, reader = _read(bad)
    assert [f[3] for f in frames] == [FRAMES[0]]
    assert reader.error is not None
    assert "frame 2" in reader.error and f"offset {len(good)}" in reader.error
    assert str(MAX_RECORD) in reader.error


def test_pcapng_block_claiming_two_gigabytes_is_corruption() -> None:
    data, _ = _pcapng()
    frames, reader = _read(data + struct.pack("<II", 6, 2**31) + bytes(64))
    assert len(frames) == 11
    assert reader.error is not None and "bad length" in reader.error


def _records(data: bytes, kind: str) -> list[tuple[int, bool]]:
    """(offset where each record/block ends, whether it holds a packet)."""
    ends = []
    if kind == "pcap":
        pos = 24
        while pos < len(data):
            pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
            ends.append((pos, True))
    else:
        pos = 0
        while pos < len(data):
            btype, blen = struct.unpack_from("<II", data, pos)
            pos += blen
            ends.append((pos, btype in (2, 3, 6)))
    return ends


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_truncated_at_every_offset(kind: str) -> None:
    """Cut anywhere: every frame before the cut comes out, then a clean stop
    with the damage described (none when the cut falls between records)."""
    data = _pcap() if kind == "pcap" else _pcapng()[0]
    full, _ = _read(data)
    records = _records(data, kind)
    header = 24 if kind == "pcap" else 28
    for cut in range(1, len(data)):
        if cut < header:
            with pytest.raises(CaptureError):
                open_capture(io.BytesIO(data[:cut]))
            continue
        frames, reader = _read(data[:cut])
        whole = sum(1 for end, packet in records if packet and end <= cut)
        assert frames == full[:whole], cut
        at_boundary = cut == 24 if kind == "pcap" else False
        at_boundary = at_boundary or any(end == cut for end, _ in records)
        assert (reader.error is None) == at_boundary, (cut, reader.error)
        if reader.error:
            assert f"frame {whole + 1} at byte offset" in reader.error


def test_truncated_gzip_keeps_what_came_before() -> None:
    data = _pcap()
    packed = gzip.compress(data)
    full = _read(data)[0]
    yielded = []
    for cut in range(10, len(packed), 7):
        try:
            frames, reader = _read(packed[:cut])
        except CaptureError as exc:  # not even the file header could be inflated
            assert "gzip" in str(exc) or "EOFError" in str(exc)
            continue
        assert frames == full[: len(frames)]
        assert reader.error is not None
        yielded.append(len(frames))
    assert yielded and yielded == sorted(yielded) and yielded[-1] >= len(full) - 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_anything_but_capture_error(data: bytes) -> None:
    try:
        reader = open_capture(io.BytesIO(data))
    except CaptureError:
        return
    with reader:
        for frame in reader:
            assert len(frame[3]) <= MAX_RECORD


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["pcap", "pcapng", "pcap-be", "pcapng-be"]),
    st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_random_corruption_of_a_valid_file_never_raises(
    kind: str, flips: list[tuple[int, int]]
) -> None:
    be = kind.endswith("-be")
    data = bytearray(
        _pcap(big_endian=be) if kind.startswith("pcap") and "ng" not in kind else _pcapng(be)[0]
    )
    for offset, value in flips:
        data[offset % len(data)] = value
    try:
        reader = open_capture(io.BytesIO(bytes(data)))
    except CaptureError:
        return
    with reader:
        numbers = [frame[0] for frame in reader]
    assert numbers == list(range(1, len(numbers) + 1))
