package ubus

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Blob attribute header bits (libubox blob.h).
const (
	blobExtended = 0x80000000
	blobIDMask   = 0x7f000000
	blobIDShift  = 24
	blobLenMask  = 0x00ffffff
	blobAlign    = 4
)

// ErrMalformed is matched (errors.Is) by every error this package returns for
// bytes that are not a valid message, blob or blobmsg encoding.
var ErrMalformed = errors.New("ubus: malformed data")

// ErrBadFrame is matched (errors.Is) by ReadMessage errors after which the
// byte stream cannot be resynchronised: a bad version, a length below the
// header size or above MaxMessageLen. The connection must be closed.
var ErrBadFrame = errors.New("ubus: bad frame")

// decodeError is a decoding failure; it matches ErrMalformed.
type decodeError struct{ msg string }

func (e *decodeError) Error() string        { return "ubus: " + e.msg }
func (e *decodeError) Is(target error) bool { return target == ErrMalformed }

func malformed(format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...)}
}

// frameError is a framing failure; it matches ErrBadFrame and ErrMalformed.
type frameError struct{ msg string }

func (e *frameError) Error() string { return "ubus: " + e.msg }
func (e *frameError) Is(target error) bool {
	return target == ErrBadFrame || target == ErrMalformed
}

func pad4(n int) int { return (n + blobAlign - 1) &^ (blobAlign - 1) }

// rawAttr is one blob attribute as found in a buffer. payload aliases the
// buffer and must never escape this package's decoders.
type rawAttr struct {
	id       uint8
	extended bool
	payload  []byte
}

// nextAttr reads the attribute at b[off:] and returns it with the offset of
// its next sibling. Unlike libubox, which silently stops at a malformed tail,
// every inconsistency is an error: a short header, a length below 4, a length
// past the end, or a missing padding.
func nextAttr(b []byte, off int) (rawAttr, int, error) {
	rem := len(b) - off
	if rem < 4 {
		return rawAttr{}, 0, malformed("truncated attribute header at offset %d", off)
	}
	hdr := binary.BigEndian.Uint32(b[off:])
	l := int(hdr & blobLenMask)
	if l < 4 {
		return rawAttr{}, 0, malformed("attribute length %d at offset %d is shorter than its header", l, off)
	}
	if l > rem {
		return rawAttr{}, 0, malformed("attribute at offset %d claims %d bytes, %d remain", off, l, rem)
	}
	padded := pad4(l)
	if padded > rem {
		return rawAttr{}, 0, malformed("attribute at offset %d is not padded to %d bytes", off, blobAlign)
	}
	return rawAttr{
		id:       uint8((hdr & blobIDMask) >> blobIDShift),
		extended: hdr&blobExtended != 0,
		payload:  b[off+4 : off+l],
	}, off + padded, nil
}

// appendHeaderPlaceholder reserves a blob header and returns its offset.
func appendHeaderPlaceholder(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0, 0), len(b)
}

// finishAttr fills in the header reserved at start and pads b to 4 bytes.
func finishAttr(b []byte, start int, id uint8, extended bool) ([]byte, error) {
	l := len(b) - start
	if l > blobLenMask {
		return b, fmt.Errorf("ubus: attribute of %d bytes exceeds the blob length field", l)
	}
	hdr := uint32(id)<<blobIDShift&blobIDMask | uint32(l)
	if extended {
		hdr |= blobExtended
	}
	binary.BigEndian.PutUint32(b[start:], hdr)
	for len(b)%blobAlign != 0 {
		b = append(b, 0)
	}
	return b, nil
}

// appendBlob appends a plain (non-blobmsg) attribute with the given payload.
func appendBlob(b []byte, id uint8, payload []byte) ([]byte, error) {
	b, start := appendHeaderPlaceholder(b)
	b = append(b, payload...)
	return finishAttr(b, start, id, false)
}
