package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/multisource"
)

// serverMetrics is what `kwik serve --metrics` exposes. Path figures are
// labelled by server — "self" for the path to this server, a secondary's
// address for the paths it carries — never by client, so that the number
// of series stays that of the configured servers.
type serverMetrics struct {
	sessions     *prometheus.GaugeVec
	sessionsSeen *prometheus.CounterVec
	joinFailures *prometheus.CounterVec
	// Spread's verdicts, by the server whose path it was.
	piecesResent   *prometheus.CounterVec
	badPieces      *prometheus.CounterVec
	removedMirrors *prometheus.CounterVec

	mu    sync.Mutex
	live  map[*kwik.Session]struct{}
	ended map[string]pathTotals // totals of the paths of sessions that ended, by server
}

// pathTotals are a path's byte counts.
type pathTotals struct{ sent, received uint64 }

var (
	pathBytesDesc = prometheus.NewDesc("kwik_path_bytes_total",
		"Logical-stream payload bytes carried by the paths of this server's sessions, by server and direction.",
		[]string{"server", "direction"}, nil)
	pathGoodputDesc = prometheus.NewDesc("kwik_path_goodput_bytes_per_second",
		"Bytes per second the clients reported receiving through each server's paths over the last second (primary only).",
		[]string{"server"}, nil)
)

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	m := &serverMetrics{
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kwik_sessions", Help: "Sessions open now, by role (primary: a client's; secondary: a path a primary added).",
		}, []string{"role"}),
		sessionsSeen: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kwik_sessions_total", Help: "Sessions accepted, by role.",
		}, []string{"role"}),
		joinFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kwik_secondary_join_failures_total", Help: "Secondaries a primary could not add to a session (refused, unreachable, wrong pin or group key), by secondary.",
		}, []string{"secondary"}),
		piecesResent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kwik_pieces_resent_total", Help: "Pieces a primary handed to a path again after an earlier copy was lost (it failed verification, or its path went down), by the server that got them.",
		}, []string{"server"}),
		badPieces: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kwik_piece_verification_failures_total", Help: "Pieces a secondary delivered whose bytes did not match the primary's digest (the client discarded them), by secondary.",
		}, []string{"server"}),
		removedMirrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kwik_secondaries_removed_total", Help: "Times a primary removed a secondary from a transfer for delivering corrupt pieces, by secondary.",
		}, []string{"server"}),
		live:  make(map[*kwik.Session]struct{}),
		ended: make(map[string]pathTotals),
	}
	reg.MustRegister(m.sessions, m.sessionsSeen, m.joinFailures, m.piecesResent, m.badPieces, m.removedMirrors, m)
	return m
}

// session counts sess in until it ends.
func (m *serverMetrics) session(sess *kwik.Session) {
	role := sess.Role().String()
	m.sessions.WithLabelValues(role).Inc()
	m.sessionsSeen.WithLabelValues(role).Inc()
	m.mu.Lock()
	m.live[sess] = struct{}{}
	m.mu.Unlock()
	context.AfterFunc(sess.Context(), func() {
		m.sessions.WithLabelValues(role).Dec()
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.live, sess)
		for _, p := range sess.AllPaths() {
			t := m.ended[serverLabel(p)]
			t.sent += p.Stats.BytesSent
			t.received += p.Stats.BytesReceived
			m.ended[serverLabel(p)] = t
		}
	})
}

func (m *serverMetrics) joinFailed(secondary string, _ error) {
	m.joinFailures.WithLabelValues(secondary).Inc()
}

// spread counts what one transfer's Spread did, by server.
func (m *serverMetrics) spread(tr fileserve.Transfer, s multisource.Stats) {
	labels := make(map[uint64]string)
	for _, p := range tr.Session.AllPaths() {
		labels[p.ID] = serverLabel(p)
	}
	for _, p := range s.Paths {
		server, ok := labels[p.PathID]
		if !ok {
			continue
		}
		m.piecesResent.WithLabelValues(server).Add(float64(p.ResentPieces))
		if p.PathID != 0 { // the primary's own bytes are not verified
			m.badPieces.WithLabelValues(server).Add(float64(p.CorruptPieces))
			if p.Removed {
				m.removedMirrors.WithLabelValues(server).Inc()
			}
		}
	}
}

func serverLabel(p kwik.PathInfo) string {
	if p.Primary {
		return "self"
	}
	return p.Address
}

// Describe and Collect make the path figures a collector read at scrape
// time from the live sessions.
func (m *serverMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- pathBytesDesc
	ch <- pathGoodputDesc
}

func (m *serverMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	totals := make(map[string]pathTotals, len(m.ended))
	for k, v := range m.ended {
		totals[k] = v
	}
	goodput := make(map[string]float64)
	for sess := range m.live {
		for _, p := range sess.AllPaths() {
			k := serverLabel(p)
			t := totals[k]
			t.sent += p.Stats.BytesSent
			t.received += p.Stats.BytesReceived
			totals[k] = t
			goodput[k] += p.Stats.Goodput
		}
	}
	m.mu.Unlock()
	for k, t := range totals {
		ch <- prometheus.MustNewConstMetric(pathBytesDesc, prometheus.CounterValue, float64(t.sent), k, "sent")
		ch <- prometheus.MustNewConstMetric(pathBytesDesc, prometheus.CounterValue, float64(t.received), k, "received")
		ch <- prometheus.MustNewConstMetric(pathGoodputDesc, prometheus.GaugeValue, goodput[k], k)
	}
}

// serveMetrics listens on addr and serves the registry at /metrics until
// stop is called. It returns the address bound.
func serveMetrics(addr string, reg *prometheus.Registry) (bound net.Addr, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) // returns http.ErrServerClosed once stopped
	}()
	stop = func() {
		srv.Close()
		<-done
	}
	return ln.Addr(), stop, nil
}
