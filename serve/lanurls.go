package serve

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
)

// StudentURLs returns the URLs at which other machines on the network can open a server
// listening on ln: one per non-loopback, non-link-local address of this machine's interfaces
// (ifaceAddrs, as net.InterfaceAddrs gives them), IPv4 first. It returns none when ln is bound to
// one address only (such as the default 127.0.0.1): then only that address serves.
func StudentURLs(ln net.Addr, ifaceAddrs []net.Addr) []string {
	ap, err := netip.ParseAddrPort(ln.String())
	if err != nil || !ap.Addr().IsUnspecified() {
		return nil
	}
	onlyV4 := ap.Addr().Is4() // 0.0.0.0 listens on IPv4 only; [::] on both
	var v4, v6 []string
	for _, a := range ifaceAddrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		default:
			continue
		}
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		addr = addr.Unmap()
		// Link-local addresses need a zone a browser's address bar does not take.
		if addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() || addr.IsMulticast() {
			continue
		}
		u := "http://" + net.JoinHostPort(addr.String(), strconv.Itoa(int(ap.Port()))) + "/"
		switch {
		case addr.Is4():
			v4 = append(v4, u)
		case !onlyV4:
			v6 = append(v6, u)
		}
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return slices.Compact(append(v4, v6...))
}
