// Package netwatch tells floatgw, without polling, when an IPv4 address
// (the VIP) is added to or removed from an interface and when a link goes
// down or up. A Watcher subscribes to the rtnetlink groups RTNLGRP_IPV4_IFADDR
// and RTNLGRP_LINK, dumps the current links and addresses once, and then
// turns every notification into a typed, timestamped AddrEvent or LinkEvent.
// The drift verifier times a VIP move from these events ("VIP removed here",
// "VIP added there"); HasAddr answers "is the VIP on this interface now".
//
// The rtnetlink codec (ParseAddrMessage, ParseLinkMessage and their
// MarshalBinary) is pure, bounds-checked through netlink.AttributeDecoder
// and fuzzed; it decodes only the ifaddrmsg/ifinfomsg fields and attributes
// floatgw needs.
//
// It deliberately does not watch IPv6 addresses, routes or neighbours, does
// not change anything in the kernel, and does not map interface indexes
// through the host's net.Interface tables (names come from the link
// messages of the namespace being watched).
//
// Sub-package afpacket is the AF_PACKET socket that internal/vrrp and
// internal/arp observe the LAN through.
package netwatch
