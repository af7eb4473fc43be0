package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progressRefresh is how often bars are redrawn.
const progressRefresh = 150 * time.Millisecond

// totalBar shows the progress of one download on a terminal; without one it
// does nothing. Its Write counts bytes, so it sits in an io.MultiWriter.
type totalBar struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

func newTotalBar(w io.Writer, enabled bool, name string, size int64) *totalBar {
	if !enabled {
		return &totalBar{}
	}
	start := time.Now()
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(progressRefresh))
	bar := p.AddBar(size,
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(
			decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"),
			decor.Any(func(s decor.Statistics) string {
				return "  " + formatBitrate(float64(s.Current)*8/time.Since(start).Seconds())
			}),
		),
	)
	return &totalBar{p: p, bar: bar}
}

func (b *totalBar) Write(p []byte) (int, error) {
	if b.bar != nil {
		b.bar.IncrBy(len(p))
	}
	return len(p), nil
}

// finish stops the bar: complete, or aborted where it stands.
func (b *totalBar) finish(complete bool) {
	if b.bar == nil {
		return
	}
	if complete {
		b.bar.SetTotal(-1, true)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

// pathBars is the demo's live display on a terminal: one bar per path,
// filled by the bytes the client received through it, and one for the
// whole object. Lines written to it appear above the bars.
type pathBars struct {
	p     *mpb.Progress
	paths []*mpb.Bar
	total *mpb.Bar

	mu     sync.Mutex
	status []string // per path: state and current rate
}

func newPathBars(w io.Writer, labels []string, size int64) *pathBars {
	v := &pathBars{
		p:      mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(progressRefresh)),
		status: make([]string, len(labels)),
	}
	for i, label := range labels {
		v.paths = append(v.paths, v.p.AddBar(size,
			mpb.PrependDecorators(decor.Name(label, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.CurrentKibiByte("% .1f", decor.WCSyncSpace),
				decor.Any(func(decor.Statistics) string { return v.statusOf(i) }, decor.WCSyncSpaceR),
			),
		))
	}
	start := time.Now()
	v.total = v.p.AddBar(size,
		mpb.PrependDecorators(decor.Name("total", decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CurrentKibiByte("% .1f", decor.WCSyncSpace),
			decor.Any(func(s decor.Statistics) string {
				return fmt.Sprintf("  %3.0f%%     %s", 100*float64(s.Current)/float64(max(s.Total, 1)),
					formatBitrate(float64(s.Current)*8/time.Since(start).Seconds()))
			}, decor.WCSyncSpaceR),
		),
	)
	return v
}

func (v *pathBars) statusOf(i int) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.status[i]
}

// update shows a new sample.
func (v *pathBars) update(s sample) {
	v.mu.Lock()
	for i, p := range s.paths {
		v.status[i] = fmt.Sprintf("  %-8s %s", p.state, formatBitrate(p.rate))
	}
	v.mu.Unlock()
	for i, p := range s.paths {
		v.paths[i].SetCurrent(p.bytes)
	}
	v.total.SetCurrent(s.received)
}

// event prints a line above the bars.
func (v *pathBars) event(line string) { fmt.Fprintln(v.p, line) }

// finish stops the display with every bar where it stands: a path's bar
// shows its share of the object, so it is not completed.
func (v *pathBars) finish() {
	for _, b := range v.paths {
		b.Abort(false)
	}
	v.total.SetTotal(-1, true)
	v.p.Wait()
}
