package kwik

import (
	"errors"
	"testing"

	"github.com/kwik-transport/kwik/pkg/presentation"
)

// TestConfigWindows: the window fields reach the receive side, with the
// defaults the Config documents in place of zeros.
func TestConfigWindows(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf Config
		want presentation.PresentationConfig
	}{
		{"defaults", Config{}, presentation.PresentationConfig{
			InitialStreamWindow: 512 << 10, MaxStreamWindow: 16 << 20, MinStreamWindow: 64 << 10, SessionWindow: 24 << 20}},
		{"set", Config{InitialStreamReceiveWindow: 1 << 20, MaxStreamReceiveWindow: 2 << 20, MinStreamReceiveWindow: 4 << 10,
			SessionReceiveWindow: 3 << 20, GapTimeout: 7, MaxStreamRanges: 8, MaxSessionRanges: 9},
			presentation.PresentationConfig{InitialStreamWindow: 1 << 20, MaxStreamWindow: 2 << 20, MinStreamWindow: 4 << 10,
				SessionWindow: 3 << 20, GapTimeout: 7, MaxStreamRanges: 8, MaxSessionRanges: 9}},
		{"large initial raises the default maximum", Config{InitialStreamReceiveWindow: 32 << 20}, presentation.PresentationConfig{
			InitialStreamWindow: 32 << 20, MaxStreamWindow: 32 << 20, MinStreamWindow: 64 << 10, SessionWindow: 24 << 20}},
		{"small initial lowers the default minimum", Config{InitialStreamReceiveWindow: 16 << 10}, presentation.PresentationConfig{
			InitialStreamWindow: 16 << 10, MaxStreamWindow: 16 << 20, MinStreamWindow: 16 << 10, SessionWindow: 24 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.conf.internal()
			if err != nil {
				t.Fatal(err)
			}
			if *c.Presentation != tc.want {
				t.Fatalf("receive side %+v, want %+v", *c.Presentation, tc.want)
			}
		})
	}
	if c, err := (*Config)(nil).internal(); c != nil || err != nil {
		t.Fatalf("nil Config gives %v, %v; want nil (every default)", c, err)
	}
}

// TestConfigWindowErrors: a window in conflict with another is a
// *ConfigError naming the field as Config does.
func TestConfigWindowErrors(t *testing.T) {
	for _, tc := range []struct {
		conf  Config
		field string
	}{
		{Config{InitialStreamReceiveWindow: 2 << 20, MaxStreamReceiveWindow: 1 << 20}, "InitialStreamReceiveWindow"},
		{Config{MinStreamReceiveWindow: 1 << 20}, "MinStreamReceiveWindow"},
		{Config{SessionReceiveWindow: 1 << 10}, "MinStreamReceiveWindow"},
		{Config{SessionReceiveWindow: 1 << 63}, "SessionReceiveWindow"},
		{Config{GapTimeout: -1}, "GapTimeout"},
		{Config{MaxStreamRanges: -1}, "MaxStreamRanges"},
		{Config{MaxSessionRanges: -1}, "MaxSessionRanges"},
	} {
		_, err := tc.conf.internal()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: error %v, want a *ConfigError for %s", tc.conf, err, tc.field)
		}
	}
}

// TestConfigErrorFromSession: fields the session package checks come back
// as *ConfigError too.
func TestConfigErrorFromSession(t *testing.T) {
	_, err := Dial(t.Context(), "127.0.0.1:1", nil, &Config{MaxFrameSize: 2 << 20})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "MaxFrameSize" || ce.Want != "1..1048576" {
		t.Fatalf("Dial with MaxFrameSize 2 MiB: %v, want a *ConfigError for MaxFrameSize", err)
	}
}

// TestConfigErrorGroupKey: a short group key is a *ConfigError that says
// how long it must be.
func TestConfigErrorGroupKey(t *testing.T) {
	_, err := Listen("127.0.0.1:0", nil, &Config{ServerGroupKey: []byte("secret")})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "ServerGroupKey" || ce.Value != "6 bytes" {
		t.Fatalf("Listen with a 6-byte group key: %v, want a *ConfigError for ServerGroupKey", err)
	}
}
