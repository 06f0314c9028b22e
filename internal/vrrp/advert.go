package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Protocol is the IPv4 protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798
// §5.1.1.4). CARP and ucarp use the same number.
const Protocol = 112

// TTL is the only IP TTL a valid advertisement may carry: a router must
// discard adverts with any other TTL, which proves the sender is on the
// segment (RFC 3768 §7.1, RFC 5798 §7.1).
const TTL = 255

// Group is the IPv4 multicast group adverts are sent to (RFC 3768 §5.2.2).
var Group = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// AuthType is the VRRPv2 authentication type (RFC 3768 §5.3.6). VRRPv3 has
// no authentication; its adverts report AuthNone.
type AuthType uint8

// Authentication types of RFC 3768 §5.3.6 (type 2, IP AH, is historic).
const (
	AuthNone   AuthType = 0
	AuthSimple AuthType = 1
	AuthAH     AuthType = 2
)

// String returns "none", "simple", "ah" or "unknown(N)"; the first three are
// the words tcpdump prints after "authtype".
func (a AuthType) String() string {
	switch a {
	case AuthNone:
		return "none"
	case AuthSimple:
		return "simple"
	case AuthAH:
		return "ah"
	}
	return fmt.Sprintf("unknown(%d)", uint8(a))
}

// MarshalText implements encoding.TextMarshaler with String's words.
func (a AuthType) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for String's words.
func (a *AuthType) UnmarshalText(b []byte) error {
	switch s := string(b); s {
	case "none":
		*a = AuthNone
	case "simple":
		*a = AuthSimple
	case "ah":
		*a = AuthAH
	default:
		// "unknown(N)", as String writes it. Parsed by hand: fmt's scanner would cost the
		// router binary ~130 KB for this one line.
		num, ok := strings.CutPrefix(s, "unknown(")
		if ok {
			num, ok = strings.CutSuffix(num, ")")
		}
		n, err := strconv.ParseUint(num, 10, 8)
		if !ok || err != nil {
			return fmt.Errorf("vrrp: unknown auth type %q", s)
		}
		*a = AuthType(n)
	}
	return nil
}

// Errors returned by the decoders. They are wrapped with detail; test with
// errors.Is. Reason maps them to stable codes.
var (
	ErrTruncated = errors.New("vrrp: truncated packet")
	ErrVersion   = errors.New("vrrp: unsupported version")
	ErrType      = errors.New("vrrp: not an advertisement")
	ErrVRID      = errors.New("vrrp: vrid 0 is invalid")
	ErrLength    = errors.New("vrrp: length does not match address count")
	ErrChecksum  = errors.New("vrrp: bad checksum")
	ErrTTL       = errors.New("vrrp: ttl is not 255")
	ErrNotVRRP   = errors.New("vrrp: not ip protocol 112")
	ErrFragment  = errors.New("vrrp: fragmented packet")
	ErrIPHeader  = errors.New("vrrp: bad ipv4 header")
	ErrCARP      = errors.New("vrrp: carp advertisement, not vrrp")
)

const (
	typeAdvertisement = 1
	headerLen         = 8
	authDataLen       = 8 // VRRPv2 only (RFC 3768 §5.3.10)
	maxV3Interval     = 0x0fff
)

// Advert is one decoded VRRP advertisement. It is a plain value: Decode
// copies everything out of its input, and callers may keep or modify it.
type Advert struct {
	// Version is 2 (RFC 3768) or 3 (RFC 5798).
	Version int
	// VRID is the virtual router id, 1–255.
	VRID uint8
	// Priority: 255 is the address owner, 0 a master resigning.
	Priority uint8
	// AuthType and AuthData are VRRPv2 only. With AuthSimple, AuthData is the
	// password in clear, NUL-padded to 8 bytes.
	AuthType AuthType
	AuthData [8]byte
	// Interval is the advertisement interval as sent: seconds in VRRPv2,
	// centiseconds (12 bits) in VRRPv3. AdvertInterval converts it.
	Interval uint16
	// Checksum is the checksum field as received; Encode ignores it and
	// computes its own.
	Checksum uint16
	// Addrs are the advertised virtual IPv4 addresses, in wire order.
	Addrs []netip.Addr
}

// AdvertInterval returns the advertisement interval as a duration.
func (a Advert) AdvertInterval() time.Duration {
	if a.Version == 3 {
		return time.Duration(a.Interval) * 10 * time.Millisecond
	}
	return time.Duration(a.Interval) * time.Second
}

// Decode decodes a VRRP advertisement carried over IPv4 from b, the IP
// payload (the IP header already removed). The VRRPv2 checksum covers the
// payload only and is verified here; the VRRPv3 checksum includes the IPv4
// pseudo-header (RFC 5798 §5.2.8), so Decode cannot check it: use DecodeIPv4
// or VerifyChecksum for that. A CARP/ucarp packet yields a *CARPError
// (errors.Is(err, ErrCARP)). b is not retained.
func Decode(b []byte) (Advert, error) {
	if len(b) < headerLen {
		return Advert{}, fmt.Errorf("%w: %d bytes, need at least %d", ErrTruncated, len(b), headerLen)
	}
	version, typ := int(b[0]>>4), b[0]&0x0f
	if version == 2 && typ == typeAdvertisement && isCARP(b) {
		return Advert{}, newCARPError(b)
	}
	if version != 2 && version != 3 {
		return Advert{}, fmt.Errorf("%w: %d", ErrVersion, version)
	}
	if typ != typeAdvertisement {
		return Advert{}, fmt.Errorf("%w: type %d", ErrType, typ)
	}
	a := Advert{
		Version:  version,
		VRID:     b[1],
		Priority: b[2],
		Checksum: binary.BigEndian.Uint16(b[6:8]),
	}
	if a.VRID == 0 {
		return Advert{}, ErrVRID
	}
	count := int(b[3])
	want := headerLen + 4*count
	if version == 2 {
		want += authDataLen
	}
	if len(b) != want {
		return Advert{}, fmt.Errorf("%w: %d addresses need %d bytes, have %d", ErrLength, count, want, len(b))
	}
	if version == 2 {
		// RFC 3768 §5.3.8: the checksum covers the VRRP message only.
		if Checksum(b) != 0 {
			return Advert{}, fmt.Errorf("%w: 0x%04x", ErrChecksum, a.Checksum)
		}
		a.AuthType = AuthType(b[4])
		a.Interval = uint16(b[5])
		copy(a.AuthData[:], b[headerLen+4*count:])
	} else {
		// RFC 5798 §5.2.5: 4 reserved bits, then 12 bits of centiseconds.
		a.Interval = binary.BigEndian.Uint16(b[4:6]) & maxV3Interval
	}
	if count > 0 {
		a.Addrs = make([]netip.Addr, count)
		for i := range a.Addrs {
			off := headerLen + 4*i
			a.Addrs[i] = netip.AddrFrom4([4]byte(b[off : off+4]))
		}
	}
	return a, nil
}

// Encode returns the wire form of a (the IP payload) with its checksum
// computed. src and dst are the IPv4 source and destination the packet will
// carry; VRRPv3 needs them for the pseudo-header and VRRPv2 ignores them.
// a.Checksum is ignored. Encode never modifies a.
func Encode(a Advert, src, dst netip.Addr) ([]byte, error) {
	if a.Version != 2 && a.Version != 3 {
		return nil, fmt.Errorf("%w: %d", ErrVersion, a.Version)
	}
	if a.VRID == 0 {
		return nil, ErrVRID
	}
	if len(a.Addrs) > 255 {
		return nil, fmt.Errorf("vrrp: %d addresses, at most 255 fit", len(a.Addrs))
	}
	n := headerLen + 4*len(a.Addrs)
	if a.Version == 2 {
		n += authDataLen
	}
	b := make([]byte, n)
	b[0] = byte(a.Version)<<4 | typeAdvertisement
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = byte(len(a.Addrs))
	if a.Version == 2 {
		if a.Interval > 255 {
			return nil, fmt.Errorf("vrrp: v2 interval %d s does not fit 8 bits", a.Interval)
		}
		b[4] = byte(a.AuthType)
		b[5] = byte(a.Interval)
		copy(b[headerLen+4*len(a.Addrs):], a.AuthData[:])
	} else {
		if a.Interval > maxV3Interval {
			return nil, fmt.Errorf("vrrp: v3 interval %d cs does not fit 12 bits", a.Interval)
		}
		binary.BigEndian.PutUint16(b[4:6], a.Interval)
	}
	for i, ip := range a.Addrs {
		if !ip.Is4() {
			return nil, fmt.Errorf("vrrp: address %d (%v) is not ipv4", i, ip)
		}
		v := ip.As4()
		copy(b[headerLen+4*i:], v[:])
	}
	var sum uint16
	if a.Version == 2 {
		sum = Checksum(b)
	} else {
		if !src.Is4() || !dst.Is4() {
			return nil, fmt.Errorf("vrrp: v3 checksum needs ipv4 source and destination, have %v and %v", src, dst)
		}
		sum = pseudoChecksum(src, dst, b)
	}
	binary.BigEndian.PutUint16(b[6:8], sum)
	return b, nil
}

// VerifyChecksum reports whether payload (a VRRP message) carries a correct
// checksum for the given IPv4 source and destination: for VRRPv3 the
// pseudo-header is included, for anything else only the payload is summed.
func VerifyChecksum(payload []byte, src, dst netip.Addr) bool {
	if len(payload) >= 1 && payload[0]>>4 == 3 {
		if !src.Is4() || !dst.Is4() {
			return false
		}
		return pseudoChecksum(src, dst, payload) == 0
	}
	return Checksum(payload) == 0
}

// Checksum returns the 16-bit one's complement of the one's complement sum of
// b (RFC 1071), the Internet checksum. Over a message whose checksum field is
// correct it returns 0; over one whose field is zero it returns the value to
// store.
func Checksum(b []byte) uint16 {
	return finish(sum(0, b))
}

func sum(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func finish(acc uint32) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}

// pseudoChecksum sums the IPv4 pseudo-header of RFC 5798 §5.2.8 (source,
// destination, zero, protocol, VRRP length) and then b.
func pseudoChecksum(src, dst netip.Addr, b []byte) uint16 {
	s, d := src.As4(), dst.As4()
	var ph [12]byte
	copy(ph[0:4], s[:])
	copy(ph[4:8], d[:])
	ph[9] = Protocol
	binary.BigEndian.PutUint16(ph[10:12], uint16(len(b)))
	return finish(sum(sum(0, ph[:]), b))
}
