package emulator

import (
	"math"
	"strconv"
	"strings"
)

// maxParsedRate bounds ParseRate so that its result fits an int64 with room.
const maxParsedRate = 1e15 // 1 Pbit/s

// rateUnits maps the units ParseRate accepts, lower-cased, to bits per second.
// They follow tc(8): SI prefixes are powers of 1000, IEC ones of 1024.
var rateUnits = map[string]float64{
	"":      1,
	"bit":   1,
	"kbit":  1e3,
	"mbit":  1e6,
	"gbit":  1e9,
	"tbit":  1e12,
	"kibit": 1 << 10,
	"mibit": 1 << 20,
	"gibit": 1 << 30,
	"tibit": 1 << 40,
}

// ParseRate reads a link rate in bits per second, written as a number and an
// optional unit in the style of tc(8): "1000000", "500kbit", "50mbit",
// "10Mbit/s", "1.5gbit", "1gibit". Units are case-insensitive; "0" means
// unlimited. Byte-based units such as "mbps" are refused because tc reads
// them as bytes per second while most people mean bits.
func ParseRate(s string) (int64, error) {
	bad := func(reason string, err error) (int64, error) {
		return 0, &ParseError{What: "rate", Input: s, Reason: reason, Err: err}
	}
	str := strings.TrimSpace(s)
	end := 0
	for end < len(str) && (str[end] >= '0' && str[end] <= '9' || str[end] == '.') {
		end++
	}
	if end == 0 {
		return bad(`must start with a non-negative number, as in "50mbit" or "1000000"`, nil)
	}
	value, err := strconv.ParseFloat(str[:end], 64)
	if err != nil {
		return bad("the number "+strconv.Quote(str[:end])+" is malformed", err)
	}
	unit := strings.ToLower(strings.TrimSpace(str[end:]))
	unit = strings.TrimSuffix(unit, "/s")
	mult, ok := rateUnits[unit]
	if !ok {
		if strings.HasSuffix(unit, "bps") {
			return bad("unit "+strconv.Quote(unit)+" is ambiguous (tc reads it as bytes per second, most people as bits): write \"mbit\" for megabits per second", nil)
		}
		return bad("unknown unit "+strconv.Quote(unit)+": use bit, kbit, mbit, gbit or tbit (optionally with /s), or kibit, mibit, gibit, tibit", nil)
	}
	bits := value * mult
	switch {
	case bits > maxParsedRate:
		return bad("above 1 Pbit/s", nil)
	case bits > 0 && bits < 0.5:
		return bad("below 1 bit/s: write 0 for an unlimited rate", nil)
	}
	return int64(math.Round(bits)), nil
}

// ParseLoss reads a loss probability written as a percentage ("1%", "0.5%")
// or as a fraction ("0.01"). The result is between 0 and 1.
func ParseLoss(s string) (float64, error) {
	bad := func(reason string, err error) (float64, error) {
		return 0, &ParseError{What: "loss", Input: s, Reason: reason, Err: err}
	}
	str := strings.TrimSpace(s)
	number, percent := strings.CutSuffix(str, "%")
	number = strings.TrimSpace(number)
	value, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return bad(`must be a percentage such as "1%" or a fraction such as "0.01"`, err)
	}
	if percent {
		value /= 100
	}
	if math.IsNaN(value) || value < 0 || value > 1 {
		if !percent && value > 1 && value <= 100 {
			return bad("a fraction must be between 0 and 1: did you mean "+strconv.Quote(number+"%")+"?", nil)
		}
		return bad("must be between 0% and 100%", nil)
	}
	if value == 0 {
		return 0, nil // not -0
	}
	return value, nil
}
