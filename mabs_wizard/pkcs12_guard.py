"""A cost guard for untrusted PKCS#12 (PFX) blobs, run before OpenSSL sees them.

A PFX names its own key-derivation work: MAC iterations, PBE/PBKDF2 iteration counts, even scrypt
parameters in PBES2. A 1 MB hostile vault file can therefore ask OpenSSL for hours of PBKDF2 or
gigabytes of scrypt memory, and OpenSSL cannot be interrupted from Python. So this module walks the
DER (BER indefinite lengths included; bounded depth and node count) and sums every iteration count
it finds, refusing scrypt and unknown PBES2 key-derivation functions outright.

Real files are far below the limits: Windows and OpenSSL export with 2,000-20,000 iterations per
bag and MAC; the demo generator writes 2,048.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TOTAL_ITERATIONS = 1_000_000  # ~1 s of SHA-256 PBKDF2 in OpenSSL here, worst case
MAX_DEPTH = 40
MAX_NODES = 200_000

_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTET_STRING = 0x04
_OID = 0x06


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for value in parts[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


_PKCS12_PBE = {_oid(f"1.2.840.113549.1.12.1.{i}") for i in range(1, 7)}
_PBES1 = {_oid(f"1.2.840.113549.1.5.{i}") for i in (1, 3, 4, 6, 10, 11)}
_PBKDF2 = _oid("1.2.840.113549.1.5.12")
_PBES2 = _oid("1.2.840.113549.1.5.13")
_PBMAC1 = _oid("1.2.840.113549.1.5.14")
_SCRYPT = _oid("1.3.6.1.4.1.11591.4.11")
_PKCS7_DATA = _oid("1.2.840.113549.1.7.1")


class NotDer(ValueError):
    """The bytes are not a well-formed DER/BER structure."""


class TooCostly(ValueError):
    """The PFX asks for more key-derivation work than any real vault file does."""


@dataclass(frozen=True)
class _Node:
    tag: int
    start: int  # first content byte
    end: int  # one past the last content byte
    next: int  # offset of the following TLV

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)


def _read_node(data: bytes, pos: int, limit: int, depth: int) -> _Node:
    if pos + 2 > limit:
        raise NotDer("truncated")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise NotDer("multi-byte tags are not used by PKCS#12")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length: int | None = first
    elif first == 0x80:
        if not tag & 0x20:
            raise NotDer("indefinite length on a primitive")
        length = None
    else:
        count = first & 0x7F
        if count > 4 or pos + count > limit:
            raise NotDer("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if length is not None:
        if pos + length > limit:
            raise NotDer("length past the end")
        return _Node(tag, pos, pos + length, pos + length)
    # BER indefinite length: children until the end-of-contents octets 00 00.
    cursor = pos
    while True:
        if cursor + 2 > limit:
            raise NotDer("unterminated indefinite length")
        if data[cursor] == 0 and data[cursor + 1] == 0:
            return _Node(tag, pos, cursor, cursor + 2)
        if depth > MAX_DEPTH:
            raise NotDer("nested too deeply")
        cursor = _read_node(data, cursor, limit, depth + 1).next


class _Walker:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.nodes = 0
        self.iterations = 0

    def children(self, node: _Node, depth: int) -> list[_Node]:
        out: list[_Node] = []
        pos = node.start
        while pos < node.end:
            child = _read_node(self.data, pos, node.end, depth + 1)
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise TooCostly("too many ASN.1 elements")
            out.append(child)
            pos = child.next
        return out

    def integer(self, node: _Node) -> int:
        if node.tag != _INTEGER:
            raise NotDer("expected an INTEGER")
        raw = self.data[node.start : node.end]
        if len(raw) > 8:
            raise TooCostly("iteration count out of range")
        return int.from_bytes(raw, "big", signed=True)

    def add(self, count: int) -> None:
        if count < 0:
            raise NotDer("negative iteration count")
        self.iterations += count
        if self.iterations > MAX_TOTAL_ITERATIONS:
            raise TooCostly(
                f"asks for more than {MAX_TOTAL_ITERATIONS:,} key-derivation iterations in total "
                "(real vault files use a few thousand)"
            )

    def oid(self, node: _Node) -> bytes | None:
        return self.data[node.start : node.end] if node.tag == _OID else None

    def visit(self, node: _Node, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise TooCostly("ASN.1 nested too deeply")
        if node.constructed:
            kids = self.children(node, depth)
            if node.tag == _SEQUENCE and kids:
                self.algorithm(kids)
            for kid in kids:
                self.visit(kid, depth + 1)
        elif node.tag == _OCTET_STRING:
            # Encrypted-bag contents are random bytes; the unencrypted ones (authSafe, SafeContents,
            # key bags) are DER again. Descend when they parse, skip when they don't.
            inner = _try_node(self.data, node.start, node.end, depth)
            if inner is not None and inner.next == node.end:
                self.visit(inner, depth + 1)

    def algorithm(self, kids: list[_Node]) -> None:
        oid = self.oid(kids[0])
        if oid is None:
            return
        if oid == _SCRYPT:
            raise TooCostly("uses scrypt key derivation, which real vault files never do")
        params = kids[1] if len(kids) > 1 and kids[1].tag == _SEQUENCE else None
        if oid in _PKCS12_PBE or oid in _PBES1:
            if params is not None:
                fields = self.children(params, 0)
                if len(fields) >= 2:
                    self.add(self.integer(fields[1]))
        elif oid == _PBKDF2:
            if params is not None:
                fields = self.children(params, 0)
                if len(fields) >= 2:
                    self.add(self.integer(fields[1]))
        elif oid in (_PBES2, _PBMAC1) and params is not None:
            fields = self.children(params, 0)
            if fields and fields[0].tag == _SEQUENCE:
                kdf = self.children(fields[0], 0)
                kdf_oid = self.oid(kdf[0]) if kdf else None
                if kdf_oid == _SCRYPT:
                    raise TooCostly("uses scrypt key derivation, which real vault files never do")
                if kdf_oid != _PBKDF2:
                    raise TooCostly("uses a key-derivation function other than PBKDF2")


def _try_node(data: bytes, start: int, end: int, depth: int) -> _Node | None:
    if end - start < 2 or data[start] not in (_SEQUENCE, 0x31):
        return None
    try:
        return _read_node(data, start, end, depth)
    except NotDer:
        return None


def check_pfx(data: bytes) -> int:
    """Return the total key-derivation iterations a PFX asks for; raise NotDer or TooCostly.

    Also checks the outer shape (PFX ::= SEQUENCE { version 3, authSafe ContentInfo of type data,
    macData OPTIONAL }) so that "not a PKCS#12 at all" and "a PKCS#12 we cannot open" are told apart.
    """
    top = _read_node(data, 0, len(data), 0)
    if top.tag != _SEQUENCE or top.next != len(data):
        raise NotDer("not a single ASN.1 SEQUENCE")
    walker = _Walker(data)
    kids = walker.children(top, 0)
    if len(kids) < 2 or kids[0].tag != _INTEGER or walker.integer(kids[0]) != 3:
        raise NotDer("not a PKCS#12 version 3 PFX")
    content_info = walker.children(kids[1], 0) if kids[1].tag == _SEQUENCE else []
    if not content_info or walker.oid(content_info[0]) != _PKCS7_DATA:
        raise NotDer("PKCS#12 authSafe is not plain data (signed PFX files are not used here)")
    if len(kids) > 2 and kids[2].tag == _SEQUENCE:
        mac = walker.children(kids[2], 0)
        if len(mac) > 2:
            walker.add(walker.integer(mac[2]))
    walker.visit(top, 0)
    return walker.iterations
