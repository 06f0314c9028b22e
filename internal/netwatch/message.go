package netwatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// rtnetlink attribute types (linux/if_addr.h, linux/if_link.h).
const (
	ifaAddress   = 1
	ifaLocal     = 2
	ifaLabel     = 3
	ifaBroadcast = 4
	ifaFlags     = 8

	iflaAddress   = 1
	iflaIfname    = 3
	iflaMTU       = 4
	iflaMaster    = 10
	iflaOperstate = 16
)

const (
	ifaddrmsgLen = 8  // family, prefixlen, flags, scope, index(u32)
	ifinfomsgLen = 16 // family, pad, type(u16), index(i32), flags(u32), change(u32)
)

// ErrMessage is wrapped by every decoding error of this package.
var ErrMessage = errors.New("netwatch: malformed rtnetlink message")

// AddrMessage is the body of RTM_NEWADDR / RTM_DELADDR: struct ifaddrmsg and
// the attributes floatgw uses. Unknown attributes are skipped.
type AddrMessage struct {
	Family    uint8
	PrefixLen uint8
	// Flags holds the IFA_F_* flags: the 8-bit ifa_flags, replaced by the
	// full 32-bit IFA_FLAGS attribute when present (it is authoritative).
	Flags uint32
	Scope uint8
	Index uint32
	// Local is IFA_LOCAL, the interface's own address; Address is
	// IFA_ADDRESS (the peer on point-to-point links, else equal to Local).
	Local     netip.Addr
	Address   netip.Addr
	Broadcast netip.Addr
	Label     string
}

// IFA_F_* flags (linux/if_addr.h).
const (
	AddrFlagSecondary = 0x01
	AddrFlagNoDAD     = 0x02
	AddrFlagDADFailed = 0x08
	AddrFlagTentative = 0x40
	AddrFlagPermanent = 0x80
)

// Prefix returns the interface address with its prefix length: Local if
// set, else Address.
func (m AddrMessage) Prefix() netip.Prefix {
	a := m.Local
	if !a.IsValid() {
		a = m.Address
	}
	if !a.IsValid() {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(a, int(m.PrefixLen))
}

// ParseAddrMessage decodes an ifaddrmsg and its attributes. It never
// retains b.
func ParseAddrMessage(b []byte) (AddrMessage, error) {
	var m AddrMessage
	if len(b) < ifaddrmsgLen {
		return m, fmt.Errorf("%w: ifaddrmsg of %d bytes", ErrMessage, len(b))
	}
	m.Family, m.PrefixLen, m.Flags, m.Scope = b[0], b[1], uint32(b[2]), b[3]
	m.Index = binary.NativeEndian.Uint32(b[4:8])
	if bits := addrBits(m.Family); bits != 0 && int(m.PrefixLen) > bits {
		return m, fmt.Errorf("%w: prefix length %d for family %d", ErrMessage, m.PrefixLen, m.Family)
	}
	ad, err := netlink.NewAttributeDecoder(b[ifaddrmsgLen:])
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	ip := func() netip.Addr {
		var a netip.Addr
		ad.Do(func(v []byte) error {
			var ok bool
			if a, ok = netip.AddrFromSlice(v); !ok || addrBits(m.Family) != a.BitLen() {
				return fmt.Errorf("address of %d bytes for family %d", len(v), m.Family)
			}
			return nil
		})
		return a
	}
	for ad.Next() {
		switch ad.Type() {
		case ifaAddress:
			m.Address = ip()
		case ifaLocal:
			m.Local = ip()
		case ifaBroadcast:
			m.Broadcast = ip()
		case ifaLabel:
			m.Label = ad.String()
		case ifaFlags:
			m.Flags = ad.Uint32()
		}
	}
	if err := ad.Err(); err != nil {
		return AddrMessage{}, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	return m, nil
}

func addrBits(family uint8) int {
	switch family {
	case unix.AF_INET:
		return 32
	case unix.AF_INET6:
		return 128
	}
	return 0
}

// MarshalBinary encodes m as ifaddrmsg plus attributes (for requests and
// round-trip tests). Flags go in ifa_flags (low 8 bits) and in IFA_FLAGS.
func (m AddrMessage) MarshalBinary() ([]byte, error) {
	b := make([]byte, ifaddrmsgLen)
	b[0], b[1], b[2], b[3] = m.Family, m.PrefixLen, uint8(m.Flags), m.Scope
	binary.NativeEndian.PutUint32(b[4:8], m.Index)
	ae := netlink.NewAttributeEncoder()
	for _, a := range []struct {
		typ uint16
		ip  netip.Addr
	}{{ifaAddress, m.Address}, {ifaLocal, m.Local}, {ifaBroadcast, m.Broadcast}} {
		if a.ip.IsValid() {
			ae.Bytes(a.typ, a.ip.AsSlice())
		}
	}
	if m.Label != "" {
		ae.String(ifaLabel, m.Label)
	}
	ae.Uint32(ifaFlags, m.Flags)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, fmt.Errorf("netwatch: encode ifaddrmsg: %w", err)
	}
	return append(b, attrs...), nil
}

// LinkMessage is the body of RTM_NEWLINK / RTM_DELLINK: struct ifinfomsg and
// the attributes floatgw uses.
type LinkMessage struct {
	Family uint8
	Type   uint16 // ARPHRD_*
	Index  int32
	// Flags holds IFF_* (net/if.h): IFF_UP 0x1, IFF_RUNNING 0x40,
	// IFF_MULTICAST 0x1000, IFF_LOWER_UP 0x10000.
	Flags        uint32
	Change       uint32
	Name         string
	MTU          uint32
	HardwareAddr net.HardwareAddr
	Master       uint32
	// OperState is IF_OPER_* (RFC 2863): 2 down, 5 dormant, 6 up, 0 unknown.
	OperState uint8
}

// ParseLinkMessage decodes an ifinfomsg and its attributes. It never
// retains b.
func ParseLinkMessage(b []byte) (LinkMessage, error) {
	var m LinkMessage
	if len(b) < ifinfomsgLen {
		return m, fmt.Errorf("%w: ifinfomsg of %d bytes", ErrMessage, len(b))
	}
	m.Family = b[0]
	m.Type = binary.NativeEndian.Uint16(b[2:4])
	m.Index = int32(binary.NativeEndian.Uint32(b[4:8]))
	m.Flags = binary.NativeEndian.Uint32(b[8:12])
	m.Change = binary.NativeEndian.Uint32(b[12:16])
	ad, err := netlink.NewAttributeDecoder(b[ifinfomsgLen:])
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	for ad.Next() {
		switch ad.Type() {
		case iflaIfname:
			m.Name = ad.String()
		case iflaMTU:
			m.MTU = ad.Uint32()
		case iflaAddress:
			m.HardwareAddr = ad.Bytes()
		case iflaMaster:
			m.Master = ad.Uint32()
		case iflaOperstate:
			m.OperState = ad.Uint8()
		}
	}
	if err := ad.Err(); err != nil {
		return LinkMessage{}, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	return m, nil
}

// MarshalBinary encodes m as ifinfomsg plus attributes.
func (m LinkMessage) MarshalBinary() ([]byte, error) {
	b := make([]byte, ifinfomsgLen)
	b[0] = m.Family
	binary.NativeEndian.PutUint16(b[2:4], m.Type)
	binary.NativeEndian.PutUint32(b[4:8], uint32(m.Index))
	binary.NativeEndian.PutUint32(b[8:12], m.Flags)
	binary.NativeEndian.PutUint32(b[12:16], m.Change)
	ae := netlink.NewAttributeEncoder()
	if m.Name != "" {
		ae.String(iflaIfname, m.Name)
	}
	if m.MTU != 0 {
		ae.Uint32(iflaMTU, m.MTU)
	}
	if m.HardwareAddr != nil {
		ae.Bytes(iflaAddress, m.HardwareAddr)
	}
	if m.Master != 0 {
		ae.Uint32(iflaMaster, m.Master)
	}
	ae.Uint8(iflaOperstate, m.OperState)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, fmt.Errorf("netwatch: encode ifinfomsg: %w", err)
	}
	return append(b, attrs...), nil
}
