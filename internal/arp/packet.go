package arp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// EtherType is the Ethernet type of ARP.
const EtherType = 0x0806

// Operation is the ARP opcode (RFC 826).
type Operation uint16

// The two ARP operations floatgw speaks.
const (
	OpRequest Operation = 1
	OpReply   Operation = 2
)

// String returns "request" or "reply".
func (o Operation) String() string {
	switch o {
	case OpRequest:
		return "request"
	case OpReply:
		return "reply"
	}
	return fmt.Sprintf("op(%d)", uint16(o))
}

// Errors returned by the decoders, wrapped with detail.
var (
	ErrTruncated   = errors.New("arp: truncated packet")
	ErrNotARP      = errors.New("arp: not an arp frame")
	ErrUnsupported = errors.New("arp: not ethernet/ipv4 arp")
	ErrOperation   = errors.New("arp: unknown operation")
)

// Broadcast is the Ethernet broadcast address.
var Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

const (
	ethLen    = 14
	packetLen = 28 // htype, ptype, hlen, plen, op, sha, spa, tha, tpa for Ethernet/IPv4
)

// Packet is an Ethernet/IPv4 ARP packet. Decoders return fresh slices, never
// views of their input.
type Packet struct {
	Op        Operation
	SenderMAC net.HardwareAddr
	SenderIP  netip.Addr
	TargetMAC net.HardwareAddr
	TargetIP  netip.Addr
}

// Frame is an ARP packet with its Ethernet header.
type Frame struct {
	Dst net.HardwareAddr
	Src net.HardwareAddr
	Packet
}

// Kind classifies an ARP packet for observers.
type Kind int

// Kinds, per RFC 5227 §1.1 and §2: a probe asks for an address with sender
// IP 0.0.0.0; a gratuitous ARP (an announcement) has sender IP = target IP
// and is what a new VRRP master sends for its VIP (keepalived sends
// requests with target MAC ff:ff:ff:ff:ff:ff).
const (
	KindRequest Kind = iota
	KindReply
	KindGratuitous
	KindProbe
)

// String returns "request", "reply", "gratuitous" or "probe".
func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindReply:
		return "reply"
	case KindGratuitous:
		return "gratuitous"
	case KindProbe:
		return "probe"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText implements encoding.TextMarshaler with String's words.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Kind classifies p.
func (p Packet) Kind() Kind {
	switch {
	case p.IsGratuitous():
		return KindGratuitous
	case p.IsProbe():
		return KindProbe
	case p.Op == OpReply:
		return KindReply
	}
	return KindRequest
}

// IsGratuitous reports whether p announces its sender's own address: sender
// IP equal to target IP and not 0.0.0.0, as a request or a reply.
func (p Packet) IsGratuitous() bool {
	return p.SenderIP.IsValid() && !p.SenderIP.IsUnspecified() && p.SenderIP == p.TargetIP
}

// IsProbe reports whether p is an RFC 5227 probe: a request with sender IP
// 0.0.0.0.
func (p Packet) IsProbe() bool {
	return p.Op == OpRequest && p.SenderIP.IsUnspecified()
}

// ParsePacket decodes an Ethernet/IPv4 ARP packet (28 bytes; longer input,
// such as Ethernet padding, is ignored).
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < packetLen {
		return Packet{}, fmt.Errorf("%w: %d bytes, need %d", ErrTruncated, len(b), packetLen)
	}
	htype, ptype := binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	if htype != 1 || ptype != 0x0800 || b[4] != 6 || b[5] != 4 {
		return Packet{}, fmt.Errorf("%w: htype %d ptype 0x%04x hlen %d plen %d", ErrUnsupported, htype, ptype, b[4], b[5])
	}
	p := Packet{Op: Operation(binary.BigEndian.Uint16(b[6:8]))}
	if p.Op != OpRequest && p.Op != OpReply {
		return Packet{}, fmt.Errorf("%w: %d", ErrOperation, uint16(p.Op))
	}
	p.SenderMAC = bytes.Clone(b[8:14])
	p.SenderIP = netip.AddrFrom4([4]byte(b[14:18]))
	p.TargetMAC = bytes.Clone(b[18:24])
	p.TargetIP = netip.AddrFrom4([4]byte(b[24:28]))
	return p, nil
}

// ParseFrame decodes an Ethernet frame carrying ARP.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) < ethLen {
		return Frame{}, fmt.Errorf("%w: %d bytes of ethernet header", ErrTruncated, len(b))
	}
	if et := binary.BigEndian.Uint16(b[12:14]); et != EtherType {
		return Frame{}, fmt.Errorf("%w: ethertype 0x%04x", ErrNotARP, et)
	}
	p, err := ParsePacket(b[ethLen:])
	if err != nil {
		return Frame{}, err
	}
	return Frame{Dst: bytes.Clone(b[0:6]), Src: bytes.Clone(b[6:12]), Packet: p}, nil
}

// MarshalBinary encodes p (28 bytes). Hardware addresses must be 6 bytes
// (nil counts as zero) and IP addresses IPv4.
func (p Packet) MarshalBinary() ([]byte, error) {
	b := make([]byte, packetLen)
	if err := p.put(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (p Packet) put(b []byte) error {
	if p.Op != OpRequest && p.Op != OpReply {
		return fmt.Errorf("%w: %d", ErrOperation, uint16(p.Op))
	}
	binary.BigEndian.PutUint16(b[0:2], 1)
	binary.BigEndian.PutUint16(b[2:4], 0x0800)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:8], uint16(p.Op))
	for _, f := range []struct {
		off int
		mac net.HardwareAddr
		ip  netip.Addr
	}{{8, p.SenderMAC, p.SenderIP}, {18, p.TargetMAC, p.TargetIP}} {
		if f.mac != nil && len(f.mac) != 6 {
			return fmt.Errorf("arp: hardware address %v is not 6 bytes", f.mac)
		}
		if !f.ip.Is4() {
			return fmt.Errorf("arp: address %v is not ipv4", f.ip)
		}
		copy(b[f.off:f.off+6], f.mac)
		a := f.ip.As4()
		copy(b[f.off+6:f.off+10], a[:])
	}
	return nil
}

// MarshalBinary encodes f as an Ethernet frame (42 bytes, unpadded; the
// driver pads short frames).
func (f Frame) MarshalBinary() ([]byte, error) {
	if len(f.Dst) != 6 || len(f.Src) != 6 {
		return nil, fmt.Errorf("arp: ethernet addresses %v, %v are not 6 bytes", f.Dst, f.Src)
	}
	b := make([]byte, ethLen+packetLen)
	copy(b[0:6], f.Dst)
	copy(b[6:12], f.Src)
	binary.BigEndian.PutUint16(b[12:14], EtherType)
	if err := f.Packet.put(b[ethLen:]); err != nil {
		return nil, err
	}
	return b, nil
}

// String renders p as tcpdump -nn does: "Request who-has T (TMAC) tell S"
// (the target MAC only when it is not zero) or "Reply S is-at SMAC".
func (p Packet) String() string {
	if p.Op == OpReply {
		return fmt.Sprintf("Reply %v is-at %v", p.SenderIP, p.SenderMAC)
	}
	if len(p.TargetMAC) > 0 && !bytes.Equal(p.TargetMAC, make([]byte, len(p.TargetMAC))) {
		return fmt.Sprintf("Request who-has %v (%v) tell %v", p.TargetIP, p.TargetMAC, p.SenderIP)
	}
	return fmt.Sprintf("Request who-has %v tell %v", p.TargetIP, p.SenderIP)
}
