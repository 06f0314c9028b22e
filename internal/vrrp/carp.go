package vrrp

import (
	"encoding/binary"
	"fmt"
)

// OpenBSD's CARP (and ucarp, which copies its header) also sends IP protocol
// 112 to 224.0.0.18 with TTL 255, and its first byte is 0x21 — version 2,
// type 1 — exactly like a VRRPv2 advert. The header (netinet/ip_carp.h) is:
//
//	0  version<<4 | type
//	1  vhid
//	2  advskew
//	3  authlen   (always 7: counter and HMAC in 32-bit words)
//	4  pad1      (0)
//	5  advbase   (seconds)
//	6  checksum  (over the 36 bytes)
//	8  counter   (2 × 32 bits)
//	16 md        (20-byte SHA-1 HMAC)
//
// 36 bytes in all. Read as VRRPv2, byte 3 would be an address count of 7,
// which needs 8 + 28 + 8 = 44 bytes, never 36; so "36 bytes with byte 3 = 7"
// is CARP and cannot be a valid VRRPv2 advert.
const (
	carpLen     = 36
	carpAuthLen = 7
)

func isCARP(b []byte) bool {
	return len(b) == carpLen && b[3] == carpAuthLen
}

// CARPError is returned by Decode and DecodeIPv4 for a CARP or ucarp
// advertisement: recognised, reported, and never taken for VRRP. CARP's vhid
// shares the 00:00:5e:00:01:xx virtual MAC space with VRRP's VRID, so a scan
// treats it as taken. errors.Is(err, ErrCARP) is true for it.
type CARPError struct {
	VHID    uint8
	AdvSkew uint8
	AdvBase uint8
	// Counter is the 64-bit replay counter.
	Counter uint64
}

func newCARPError(b []byte) *CARPError {
	return &CARPError{
		VHID:    b[1],
		AdvSkew: b[2],
		AdvBase: b[5],
		Counter: binary.BigEndian.Uint64(b[8:16]),
	}
}

// Error describes the packet.
func (e *CARPError) Error() string {
	return fmt.Sprintf("vrrp: carp advertisement (vhid %d, advbase %d, advskew %d), not vrrp", e.VHID, e.AdvBase, e.AdvSkew)
}

// Is makes errors.Is(err, ErrCARP) true.
func (e *CARPError) Is(target error) bool { return target == ErrCARP }
