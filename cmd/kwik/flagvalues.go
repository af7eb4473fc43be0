package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kwik-transport/kwik/pkg/emulator"
)

// byteSize is a flag holding a number of bytes, written "256MiB", "8M",
// "1.5GB" or "4096".
type byteSize int64

func (b *byteSize) String() string { return formatBytes(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// sizeUnits maps the units parseSize accepts, lower-cased, to bytes: KiB,
// MiB, GiB are powers of 1024 and so are the one-letter K, M, G (as in dd
// and curl); kB, MB, GB are powers of 1000.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// parseSize reads a byte count such as "256MiB".
func parseSize(s string) (int64, error) {
	str := strings.TrimSpace(s)
	end := 0
	for end < len(str) && (str[end] >= '0' && str[end] <= '9' || str[end] == '.') {
		end++
	}
	v, err := strconv.ParseFloat(str[:end], 64)
	if end == 0 || err != nil {
		return 0, fmt.Errorf("size %q: write a number of bytes with an optional unit, as in 256MiB, 8M or 1GB", s)
	}
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(str[end:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit; use B, KiB, MiB, GiB (or K, M, G), kB, MB, GB", s)
	}
	n := math.Round(v * mult)
	if n > 1<<60 {
		return 0, fmt.Errorf("size %q: larger than 1 EiB", s)
	}
	return int64(n), nil
}

// formatBytes writes n with a binary unit, as "256 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n), 0
	for v >= unit && exp < 5 {
		v /= unit
		exp++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + []string{"", "KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
}

// rate is a flag holding a link rate in bits per second, written as tc does:
// "50mbit", "1gbit"; 0 is unlimited.
type rate int64

func (r *rate) String() string { return formatRate(int64(*r)) }

func (r *rate) Set(s string) error {
	v, err := emulator.ParseRate(s)
	if err != nil {
		return err
	}
	*r = rate(v)
	return nil
}

// formatRate writes bits per second as "20 Mbit/s", or "unlimited" for 0.
func formatRate(bps int64) string {
	v, unit := float64(bps), "bit/s"
	switch {
	case bps <= 0:
		return "unlimited"
	case bps >= 1e9:
		v, unit = v/1e9, "Gbit/s"
	case bps >= 1e6:
		v, unit = v/1e6, "Mbit/s"
	case bps >= 1e3:
		v, unit = v/1e3, "kbit/s"
	}
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0")
	return strings.TrimSuffix(s, ".") + " " + unit
}

// formatBitrate writes a measured rate in bits per second.
func formatBitrate(bps float64) string {
	switch {
	case bps >= 1e9:
		return fmt.Sprintf("%.2f Gbit/s", bps/1e9)
	case bps >= 1e6:
		return fmt.Sprintf("%.1f Mbit/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.1f kbit/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", bps)
}

// loss is a flag holding a loss probability, written "1%" or "0.01".
type loss float64

func (l *loss) String() string { return formatLoss(float64(*l)) }

func (l *loss) Set(s string) error {
	v, err := emulator.ParseLoss(s)
	if err != nil {
		return err
	}
	*l = loss(v)
	return nil
}

func formatLoss(p float64) string { return strconv.FormatFloat(p*100, 'g', 4, 64) + "%" }

// perPath is a repeatable flag "I=VALUE" that overrides a setting for path
// I (0 is the primary, 1… the secondaries).
type perPath[T any] struct {
	values map[int]T
	parse  func(string) (T, error)
	format func(T) string
}

func newPerPath[T any](parse func(string) (T, error), format func(T) string) *perPath[T] {
	return &perPath[T]{values: make(map[int]T), parse: parse, format: format}
}

func (p *perPath[T]) String() string {
	if p == nil || len(p.values) == 0 {
		return ""
	}
	keys := make([]int, 0, len(p.values))
	for k := range p.values {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d=%s", k, p.format(p.values[k]))
	}
	return strings.Join(parts, ",")
}

func (p *perPath[T]) Set(s string) error {
	idx, val, ok := strings.Cut(s, "=")
	i, err := strconv.Atoi(strings.TrimSpace(idx))
	if !ok || err != nil || i < 0 {
		return fmt.Errorf("%q: write PATH=VALUE, where PATH is 0 for the primary, 1 for the first secondary, and so on", s)
	}
	v, err := p.parse(strings.TrimSpace(val))
	if err != nil {
		return err
	}
	p.values[i] = v
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// parseDuration is time.ParseDuration with an error that says what to write.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: write a non-negative duration such as 20ms or 1.5s", s)
	}
	return d, nil
}
