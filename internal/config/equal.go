package config

import "slices"

// Equal reports whether c and o are the same configuration, field by field. (It is what
// reflect.DeepEqual would say, without linking reflect's deep comparison into the router
// binary; TestEqualSeesEveryField keeps it complete when fields are added.)
func (c *Config) Equal(o *Config) bool {
	return c.Enabled == o.Enabled && c.Role == o.Role && c.Priority == o.Priority &&
		c.LAN == o.LAN && c.Device == o.Device && c.Address == o.Address &&
		slices.Equal(c.VIPs, o.VIPs) && c.VRID == o.VRID && c.Version == o.Version &&
		c.AdvertInt == o.AdvertInt && c.Preempt == o.Preempt && c.PreemptDelay == o.PreemptDelay &&
		slices.Equal(c.Peers, o.Peers) && c.AuthPass == o.AuthPass && c.GARP == o.GARP &&
		c.StartupDelay == o.StartupDelay && c.DHCPGateway == o.DHCPGateway &&
		c.Firewall == o.Firewall && c.Health.equal(&o.Health)
}

func (h *Health) equal(o *Health) bool {
	return h.Mode == o.Mode && h.Interval == o.Interval && h.Fall == o.Fall && h.Rise == o.Rise &&
		h.K == o.K && h.N == o.N && h.HoldDown == o.HoldDown && h.Weight == o.Weight &&
		slices.Equal(h.Checks, o.Checks)
}
