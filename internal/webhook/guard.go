package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Guard decides which addresses the platform's outbound requests may reach.
// Endpoints inside the operator's network — loopback, link-local, private,
// shared (carrier-grade NAT), multicast, unspecified, reserved — are refused,
// so an enterprise cannot use its webhook to probe or call services behind the
// server; the operator's allow-list opens the addresses or host names of
// receivers on the deployment's own private network.
type Guard struct {
	prefixes []netip.Prefix
	hosts    map[string]bool
}

// NewGuard builds a guard from the allow-list (CIDRs, addresses, host names).
func NewGuard(allow []string) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{}}
	for _, a := range allow {
		if p, err := netip.ParsePrefix(a); err == nil {
			g.prefixes = append(g.prefixes, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		} else if a != "" {
			g.hosts[canonicalHost(a)] = true
		} else {
			return nil, errors.New("webhook.allow: empty entry")
		}
	}
	return g, nil
}

// ErrAddress marks a refusal of the guard.
var ErrAddress = errors.New("address not allowed")

// special are the ranges besides those netip classifies that are no public
// receiver: "this network", shared address space (RFC 6598), IETF protocol
// assignments, benchmarking, reserved and broadcast, NAT64 and 6to4 (which
// embed an IPv4 address), and the documentation and discard-only ranges.
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "100::/64", "2001:db8::/32"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// internal tells why ip is not a public address, or "" when it is.
func internal(ip netip.Addr) string {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsPrivate():
		return "private"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsUnspecified():
		return "unspecified"
	}
	for _, p := range special {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	return ""
}

func (g *Guard) allowedIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return internal(ip) == ""
}

func canonicalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// CheckURL checks a webhook URL at registration: an absolute http(s) URL whose
// host is allowed and, if it is a name, resolves only to allowed addresses.
// A name that does not resolve now is accepted: delivery checks it again.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http or https URL without user information", raw)
	}
	host := canonicalHost(u.Hostname())
	if g.hosts[host] {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !g.allowedIP(ip) {
			return fmt.Errorf("%w: %s is a %s address", ErrAddress, host, internal(ip))
		}
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s is a loopback name", ErrAddress, host)
	}
	if numericHost(host) {
		return fmt.Errorf("%w: %s is an IP address in a non-standard notation", ErrAddress, host)
	}
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if !g.allowedIP(ip) {
			return fmt.Errorf("%w: %s resolves to a %s address", ErrAddress, host, internal(ip))
		}
	}
	return nil
}

// numericHost tells a host written as a number (2130706433, 0x7f.1, 017700000001),
// which some resolvers read as an IP address: no top-level domain is numeric.
func numericHost(host string) bool {
	last := host[strings.LastIndex(host, ".")+1:]
	return strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == ""
}

// control runs after name resolution, just before each connection, so that
// the address checked is the address used: a name re-pointed inside the
// network after registration (DNS rebinding) is refused here.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrAddress, address)
	}
	if !g.allowedIP(ap.Addr()) {
		return fmt.Errorf("%w: %s is a %s address", ErrAddress, ap.Addr(), internal(ap.Addr()))
	}
	return nil
}

// Client is the HTTP client of deliveries: every connection goes through the
// guard (except to a host name on the allow-list), no proxy from the
// environment, and no redirect is followed (it could point anywhere).
func (g *Guard) Client(timeout time.Duration) *http.Client {
	guarded := &net.Dialer{Timeout: timeout, Control: g.control}
	open := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err == nil && g.hosts[canonicalHost(host)] {
				return open.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
