// Package vrrp observes VRRP on one LAN segment: it decodes and encodes
// VRRPv2 (RFC 3768) and VRRPv3-over-IPv4 (RFC 5798) advertisements, listens
// to them on an interface, aggregates what it hears per (VRID, source) and
// turns a timed listen into a ScanReport that lists every VRID in use, flags
// conflicts with floatgw's own instance and suggests free VRIDs. It is the
// explained form of the seeds' `tcpdump -nn vrrp`.
//
// Layout:
//
//   - advert.go, ipv4.go, carp.go: the pure codec. Decode works on the VRRP
//     payload, DecodeIPv4 on a whole IPv4 packet (TTL 255 rule, protocol 112,
//     header checksum, the v3 pseudo-header checksum). Every length is checked
//     before slicing and no result aliases the input. CARP and ucarp also use
//     IP protocol 112 and 224.0.0.18; their packets are recognised and
//     rejected with a *CARPError, never read as VRRP.
//   - listener.go: the transport. A Listener reads frames from an AF_PACKET
//     socket bound to one interface (so every frame carries the sender's MAC
//     and the full IP header, and adverts dropped later by the local firewall
//     are still seen), filtered in the kernel to IPv4 protocol 112, and joins
//     224.0.0.18 on that interface so the NIC and IGMP snooping deliver the
//     group.
//   - tracker.go: a pure aggregator with time passed in.
//   - scan.go: Scan, the ScanReport contract (JSON) and the conflict rules.
//
// What it deliberately does not do: it never sends adverts on its own (Encode
// exists for tests and round trips), takes no part in an election, does not
// speak VRRP over IPv6, and does not judge which router should be master;
// the drift verifier does that with what this package reports. Unicast
// adverts (keepalived unicast_peer) are seen only when this host sends or
// receives them: a switch does not copy them to a third port.
package vrrp
