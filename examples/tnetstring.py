"""Minimal tnetstring codec (https://tnetstrings.info), enough for ZHTTP.

Only the standard library is needed. Strings are bytes; dict keys are bytes
(as in Condure's examples: ``req[b'id']``). ``str`` values are encoded as
UTF-8 for convenience.

    >>> dumps({b'id': b'0-0-0', b'seq': 0})
    b'23:2:id,5:0-0-0,3:seq,1:0#}'
    >>> loads(b'23:2:id,5:0-0-0,3:seq,1:0#}')
    {b'id': b'0-0-0', b'seq': 0}
"""

__all__ = ['dumps', 'loads', 'pop']


def dumps(value):
    """Encodes a value as one tnetstring (bytes)."""
    parts = []
    _dump(value, parts)
    return b''.join(parts)


def _frame(data, kind, out):
    out.append(str(len(data)).encode())
    out.append(b':')
    out.append(data)
    out.append(kind)


def _dump(value, out):
    # bool must be tested before int (bool is a subclass of int)
    if value is None:
        _frame(b'', b'~', out)
    elif value is True or value is False:
        _frame(b'true' if value else b'false', b'!', out)
    elif isinstance(value, int):
        _frame(str(value).encode(), b'#', out)
    elif isinstance(value, float):
        _frame(repr(value).encode(), b'^', out)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        _frame(bytes(value), b',', out)
    elif isinstance(value, str):
        _frame(value.encode('utf-8'), b',', out)
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            _dump(item, items)
        _frame(b''.join(items), b']', out)
    elif isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (bytes, str)):
                raise ValueError('dict keys must be bytes or str')
            _dump(k, items)
            _dump(v, items)
        _frame(b''.join(items), b'}', out)
    else:
        raise ValueError('cannot encode {!r}'.format(type(value)))


def pop(data):
    """Decodes the first tnetstring in ``data``; returns ``(value, rest)``."""
    data = bytes(data)
    colon = data.find(b':')
    if colon <= 0 or not data[:colon].isdigit():
        raise ValueError('invalid tnetstring length')
    size = int(data[:colon])
    end = colon + 1 + size
    if end >= len(data):
        raise ValueError('tnetstring truncated')
    payload = data[colon + 1:end]
    kind = data[end:end + 1]
    rest = data[end + 1:]
    if kind == b',':
        return payload, rest
    if kind == b'#':
        return int(payload), rest
    if kind == b'^':
        return float(payload), rest
    if kind == b'!':
        if payload == b'true':
            return True, rest
        if payload == b'false':
            return False, rest
        raise ValueError('invalid boolean')
    if kind == b'~':
        if payload:
            raise ValueError('null must be empty')
        return None, rest
    if kind == b']':
        items = []
        while payload:
            item, payload = pop(payload)
            items.append(item)
        return items, rest
    if kind == b'}':
        result = {}
        while payload:
            key, payload = pop(payload)
            if not isinstance(key, bytes):
                raise ValueError('dict key must be a string')
            if not payload:
                raise ValueError('dict key without a value')
            result[key], payload = pop(payload)
        return result, rest
    raise ValueError('unknown tnetstring type {!r}'.format(kind))


def loads(data):
    """Decodes one tnetstring; bytes after it are ignored."""
    return pop(data)[0]
