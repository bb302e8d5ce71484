package serve

import (
	"net"
	"slices"
	"testing"
)

func TestStudentURLs(t *testing.T) {
	ifaces := []net.Addr{
		&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("192.168.1.23"), Mask: net.CIDRMask(24, 32)},
		&net.IPNet{IP: net.ParseIP("10.0.0.5").To4(), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("::1"), Mask: net.CIDRMask(128, 128)},
		&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)},
		&net.IPNet{IP: net.ParseIP("169.254.3.4"), Mask: net.CIDRMask(16, 32)},
		&net.IPNet{IP: net.ParseIP("2001:db8::7"), Mask: net.CIDRMask(64, 128)},
		&net.IPAddr{IP: net.ParseIP("192.168.1.23")}, // the same address twice
	}
	tests := []struct {
		listen string
		want   []string
	}{
		{"[::]:8080", []string{"http://10.0.0.5:8080/", "http://192.168.1.23:8080/", "http://[2001:db8::7]:8080/"}},
		{"0.0.0.0:9000", []string{"http://10.0.0.5:9000/", "http://192.168.1.23:9000/"}},
		{"127.0.0.1:8080", nil},
		{"192.168.1.23:8080", nil},
	}
	for _, tt := range tests {
		ln, err := net.ResolveTCPAddr("tcp", tt.listen)
		if err != nil {
			t.Fatal(err)
		}
		if got := StudentURLs(ln, ifaces); !slices.Equal(got, tt.want) {
			t.Errorf("StudentURLs(%s) = %q, want %q", tt.listen, got, tt.want)
		}
	}
}
