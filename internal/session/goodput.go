package session

import "time"

// goodputWindow is how far back PathStats.Goodput looks.
const goodputWindow = time.Second

// goodputSamples bounds the samples a path keeps over goodputWindow: reports
// closer together than goodputWindow/goodputSamples share one, so a client
// that floods reports cannot grow the table.
const goodputSamples = 64

// pathDeliveries is what the client reported receiving through one path,
// over all streams: the total, and the recent totals that give its goodput.
type pathDeliveries struct {
	total   uint64
	samples []deliverySample // oldest first; the first may predate the window
}

// deliverySample is a path's reported total at one report.
type deliverySample struct {
	at    time.Time
	total uint64
}

// add records that a report at now raised the path's total by n.
func (d *pathDeliveries) add(now time.Time, n uint64) {
	d.total += n
	if k := len(d.samples); k >= 2 && now.Sub(d.samples[k-2].at) < goodputWindow/goodputSamples {
		d.samples[k-1] = deliverySample{now, d.total}
	} else {
		d.samples = append(d.samples, deliverySample{now, d.total})
	}
	// Keep one sample at or before the window's start, as its base.
	start := now.Add(-goodputWindow)
	i := 0
	for i+1 < len(d.samples) && !d.samples[i+1].at.After(start) {
		i++
	}
	d.samples = d.samples[i:]
}

// goodput is the bytes per second reported over the goodputWindow before
// now, or since the first report if that is more recent.
func (d *pathDeliveries) goodput(now time.Time) float64 {
	if len(d.samples) == 0 {
		return 0
	}
	start := now.Add(-goodputWindow)
	base, span := d.samples[0], now.Sub(d.samples[0].at)
	for _, s := range d.samples {
		if s.at.After(start) {
			break
		}
		base, span = s, goodputWindow
	}
	if span <= 0 {
		return 0
	}
	return float64(d.total-base.total) / span.Seconds()
}
