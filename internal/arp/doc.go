// Package arp answers three questions about the LAN for floatgw: who
// answers for the VIP (Probe returns the MAC), is a candidate VIP already
// in use (DAD, RFC 5227 probes with sender IP 0.0.0.0), and which
// gratuitous ARPs and replies for the VIP go by, when and from which MAC
// (Watcher) — the drift verifier's "GARP seen" and "VIP answered by the new
// MAC".
//
// The Ethernet/ARP codec (ParseFrame, ParsePacket, MarshalBinary, Kind) is
// pure, checks every length, copies what it returns and is fuzzed. The
// sockets are AF_PACKET (internal/netwatch/afpacket) bound to one
// interface, filtered to EtherType 0x0806 in the kernel; they see frames in
// both directions and mark the ones this host sent.
//
// It deliberately does not answer ARP, never announces or defends an
// address (keepalived does), does not touch the kernel's neighbour table,
// and handles only Ethernet/IPv4 ARP.
package arp
