package drift

import "net/netip"

var (
	vip   = netip.MustParseAddr("192.168.77.1")
	addrA = netip.MustParseAddr("192.168.77.2")
	addrB = netip.MustParseAddr("192.168.77.3")
	addrD = netip.MustParseAddr("192.168.77.4")
	macA  = MAC{0x02, 0x77, 0, 0, 0, 0x02}
	macB  = MAC{0x02, 0x77, 0, 0, 0, 0x03}
	macD  = MAC{0x02, 0x77, 0, 0, 0, 0x04}
)
