package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Packet is an advert together with the IPv4 header fields that matter for
// its validity and its origin.
type Packet struct {
	Src netip.Addr
	Dst netip.Addr
	TTL uint8
	// LegacyChecksum is set for a VRRPv3 unicast advert whose checksum only
	// verifies with 224.0.0.18 in the pseudo-header instead of the real
	// destination, as older keepalived versions computed it.
	LegacyChecksum bool
	Advert         Advert
}

// DecodeIPv4 decodes a whole IPv4 packet carrying VRRP: header length,
// total length (trailing link-layer padding is ignored), header checksum,
// no fragmentation, protocol 112, then the advert as Decode does, the VRRPv3
// pseudo-header checksum, and last the TTL-255 rule.
//
// On error the returned Packet holds what was decoded before the failure:
// Src, Dst and TTL once the IP header is sound, and the Advert too when only
// the TTL or the v3 checksum is wrong, so an observer can say who sent a bad
// advert. b is not retained.
func DecodeIPv4(b []byte) (Packet, error) {
	var p Packet
	if len(b) < 20 {
		return p, fmt.Errorf("%w: %d bytes of ipv4 header", ErrTruncated, len(b))
	}
	if b[0]>>4 != 4 {
		return p, fmt.Errorf("%w: ip version %d", ErrIPHeader, b[0]>>4)
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl {
		return p, fmt.Errorf("%w: header length %d, total length %d", ErrIPHeader, ihl, total)
	}
	if total > len(b) {
		return p, fmt.Errorf("%w: ip total length %d, have %d bytes", ErrTruncated, total, len(b))
	}
	if Checksum(b[:ihl]) != 0 {
		return p, fmt.Errorf("%w: ipv4 header checksum", ErrIPHeader)
	}
	p.TTL = b[8]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x3fff != 0 {
		return p, fmt.Errorf("%w: flags/offset 0x%04x", ErrFragment, frag)
	}
	if b[9] != Protocol {
		return p, fmt.Errorf("%w: protocol %d", ErrNotVRRP, b[9])
	}
	payload := b[ihl:total]
	a, err := Decode(payload)
	if err != nil {
		return p, err
	}
	if a.Version == 3 && !VerifyChecksum(payload, p.Src, p.Dst) {
		if p.Dst != Group && VerifyChecksum(payload, p.Src, Group) {
			p.LegacyChecksum = true
		} else {
			p.Advert = a
			return p, fmt.Errorf("%w: 0x%04x (v3 pseudo-header)", ErrChecksum, a.Checksum)
		}
	}
	p.Advert = a
	if p.TTL != TTL {
		// RFC 3768 §7.1 / RFC 5798 §7.1: the packet did not originate on
		// this segment (or was forwarded); a router must discard it.
		return p, fmt.Errorf("%w: ttl %d", ErrTTL, p.TTL)
	}
	return p, nil
}

// EncodeIPv4 returns p as a complete IPv4 packet: a 20-byte header with
// TOS 0xc0 (internetwork control, as keepalived sends), the TTL from p (use
// TTL), protocol 112, checksums computed, followed by the encoded advert.
// p.Src and p.Dst must be IPv4. p.LegacyChecksum selects the old v3 checksum
// over 224.0.0.18.
func EncodeIPv4(p Packet, id uint16) ([]byte, error) {
	if !p.Src.Is4() || !p.Dst.Is4() {
		return nil, fmt.Errorf("vrrp: ipv4 packet needs ipv4 addresses, have %v and %v", p.Src, p.Dst)
	}
	sumDst := p.Dst
	if p.LegacyChecksum {
		sumDst = Group
	}
	payload, err := Encode(p.Advert, p.Src, sumDst)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 20+len(payload))
	b[0] = 0x45
	b[1] = 0xc0
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	binary.BigEndian.PutUint16(b[4:6], id)
	b[8] = p.TTL
	b[9] = Protocol
	s, d := p.Src.As4(), p.Dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:12], Checksum(b[:20]))
	copy(b[20:], payload)
	return b, nil
}

// Reason returns a stable UPPER_SNAKE code for a decoding error, for
// counters and reports: TRUNCATED, BAD_VERSION, NOT_ADVERTISEMENT, BAD_VRID,
// BAD_LENGTH, BAD_CHECKSUM, BAD_TTL, NOT_VRRP, FRAGMENT, BAD_IP_HEADER, CARP,
// or INVALID for anything else. It returns "" for nil.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrCARP):
		return "CARP"
	case errors.Is(err, ErrTruncated):
		return "TRUNCATED"
	case errors.Is(err, ErrVersion):
		return "BAD_VERSION"
	case errors.Is(err, ErrType):
		return "NOT_ADVERTISEMENT"
	case errors.Is(err, ErrVRID):
		return "BAD_VRID"
	case errors.Is(err, ErrLength):
		return "BAD_LENGTH"
	case errors.Is(err, ErrChecksum):
		return "BAD_CHECKSUM"
	case errors.Is(err, ErrTTL):
		return "BAD_TTL"
	case errors.Is(err, ErrNotVRRP):
		return "NOT_VRRP"
	case errors.Is(err, ErrFragment):
		return "FRAGMENT"
	case errors.Is(err, ErrIPHeader):
		return "BAD_IP_HEADER"
	}
	return "INVALID"
}

// String renders p the way `tcpdump -nn -v vrrp` prints the decoded part of
// an advert, for example
//
//	192.168.77.4 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 120, authtype none, intvl 1s, length 20, addrs: 192.168.77.201
//
// except that a simple-auth password is never printed.
func (p Packet) String() string {
	return p.Src.String() + " > " + p.Dst.String() + ": " + p.Advert.String()
}

// String renders a as tcpdump -v does after the addresses (see
// Packet.String), without the password.
func (a Advert) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "VRRPv%d, Advertisement, vrid %d, prio %d", a.Version, a.VRID, a.Priority)
	length := headerLen + 4*len(a.Addrs)
	if a.Version == 2 {
		length += authDataLen
		fmt.Fprintf(&b, ", authtype %s, intvl %ds", a.AuthType, a.Interval)
	} else {
		fmt.Fprintf(&b, ", intvl %dcs", a.Interval)
	}
	fmt.Fprintf(&b, ", length %d", length)
	if len(a.Addrs) > 0 {
		b.WriteString(", addrs")
		if len(a.Addrs) > 1 {
			fmt.Fprintf(&b, "(%d)", len(a.Addrs))
		}
		b.WriteString(":")
		sep := " "
		for _, ip := range a.Addrs {
			b.WriteString(sep + ip.String())
			sep = ","
		}
	}
	return b.String()
}
