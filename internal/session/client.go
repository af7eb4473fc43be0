package session

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// clientState is what only a client session has: paths to secondaries and
// the bookkeeping that lets them write into its streams.
type clientState struct {
	s          *Session
	tls        *tls.Config
	tr         *quic.Transport // every path's UDP socket
	allow      func(addr string, to netip.AddrPort) error
	dials      dialBudget // guarded by mu
	deliveries *data.Deliveries
	ranges     *rangesAnswerer

	mu          sync.Mutex
	secondaries map[uint64]*transport.Path
	opening     map[uint64]bool // path IDs being dialled
	// writers holds, per stream, the secondary paths that write into it and
	// so must hear its limits.
	writers map[uint64]map[uint64]*transport.Path
}

// Dial opens a KWIK session to the primary server at addr, like quic-go's
// DialAddr. tlsConf verifies the primary (and, unless conf.SecondaryTLS is
// set, secondaries the primary adds without a certificate pin). The
// session's paths share one UDP socket, closed when the session ends.
func Dial(ctx context.Context, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, fmt.Errorf("kwik: opening a UDP socket: %w", err)
	}
	tr := &quic.Transport{Conn: udp}
	release := func() {
		tr.Close()
		udp.Close()
	}
	s, err := dial(ctx, tr, release, addr, tlsConf, conf)
	if err != nil {
		release()
		return nil, err
	}
	return s, nil
}

// DialTransport is Dial over the caller's quic-go transport, like
// quic-go's Transport.Dial: the primary path and every secondary path use
// tr, which stays the caller's (the session never closes it). tr may also
// serve a Listener.
func DialTransport(ctx context.Context, tr *quic.Transport, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	if tr == nil {
		return nil, errors.New("kwik: DialTransport needs a *quic.Transport")
	}
	return dial(ctx, tr, nil, addr, tlsConf, conf)
}

// dial opens a session through tr; onClosed, if not nil, runs once the
// session is closed (Dial releases its socket).
func dial(ctx context.Context, tr *quic.Transport, onClosed func(), addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	c, err := conf.withDefaults()
	if err != nil {
		return nil, err
	}
	to, err := resolveUDP(ctx, addr)
	if err != nil {
		return nil, err
	}
	hello := &wire.ClientHello{MaxStreams: uint64(c.MaxIncomingStreams), InitialStreamWindow: c.initialStreamWindow(), MaxAssignments: uint64(c.MaxAssignments)}
	conn, ch, sh, err := dialPath(ctx, c, tr, addr, to, tlsConf, nil, hello)
	if err != nil {
		return nil, err
	}
	if sh.Role != wire.RolePrimary || sh.PathID != 0 {
		conn.CloseWithError(0, "")
		return nil, fmt.Errorf("kwik: %s answered as a %v server for path %d; dial a primary server", addr, sh.Role, sh.PathID)
	}
	s, err := newSession(RoleClient, c, sh.SessionID)
	if err != nil {
		conn.CloseWithError(0, "")
		return nil, err
	}
	s.onClosed = onClosed
	s.peerWindow = sh.InitialStreamWindow
	s.ids.peerMax = sh.MaxStreams
	s.primary = transport.NewPath(0, addr, true, conn, ch, c.LanesPerPath)
	cs := &clientState{
		s:           s,
		tls:         tlsConf,
		tr:          tr,
		allow:       c.AllowPath,
		dials:       newDialBudget(c.MaxPaths, pathDialInterval),
		deliveries:  data.NewDeliveries(),
		secondaries: make(map[uint64]*transport.Path),
		opening:     make(map[uint64]bool),
		writers:     make(map[uint64]map[uint64]*transport.Path),
	}
	if cs.allow == nil {
		cs.allow = defaultAllowPath(to.Addr())
	}
	if c.SecondaryTLS != nil {
		cs.tls = c.SecondaryTLS
	}
	s.admission = data.NewAdmission(s.dpm, cs.deliveries, dataSession{s}, cs.admissionConfig())
	cs.ranges = newRangesAnswerer(cs.answerRanges)
	s.client = cs
	s.runPath(s.primary, cs.handlePrimary, s.admission.ForPath(s.primary.ID(), data.RoleOwner, s.primary), s.closeWith)
	if c.ReportInterval > 0 {
		s.wg.Add(1)
		go cs.reportLoop(c.ReportInterval)
	}
	s.wg.Add(1)
	go cs.livenessLoop(c.KeepAlivePeriod)
	s.wg.Go(func() { cs.ranges.run(s.ctx) })
	s.log.Debug("session established", "primary", addr)
	return s, nil
}

// handlePrimary handles the primary's control frames.
func (cs *clientState) handlePrimary(f wire.Frame) error {
	s := cs.s
	if ok, err := s.handleStreamControl(f); ok {
		return err
	}
	switch f := f.(type) {
	case *wire.AddPath:
		cs.addPath(f)
	case *wire.RemovePath:
		cs.removePath(f.PathID)
	case *wire.RawData:
		cs.relay(f)
	case *wire.RangesRequest:
		return cs.ranges.request(f.RequestID, f.StreamID)
	case *wire.ReportRequest:
		cs.sendReport(true)
	case *wire.AssignRange:
		cs.assign(f)
	case *wire.WithdrawRange:
		cs.withdraw(f)
	default:
		return protocolError("the primary sent %v, which a client does not accept", f.Type())
	}
	return nil
}

// handleSecondary handles a secondary's control frames: it may only ask for
// credit on streams it writes into.
func (cs *clientState) handleSecondary(pc *transport.Path) func(wire.Frame) error {
	return func(f wire.Frame) error {
		switch f := f.(type) {
		case *wire.StreamDataBlocked:
			switch cs.s.streamStatus(f.StreamID) {
			case data.StreamOpen:
				cs.subscribe(f.StreamID, pc)
				if limit, err := cs.s.dpm.StreamLimit(f.StreamID); err == nil {
					pc.Control().Send(&wire.MaxStreamData{StreamID: f.StreamID, Limit: limit})
				}
			case data.StreamUnknown:
				dataSession{cs.s}.Refuse(pc.ID(), f.StreamID, &data.UnknownStreamError{StreamID: f.StreamID})
			case data.StreamClosed: // finished here: nothing more is needed
				pc.Control().Send(&wire.StopSending{StreamID: f.StreamID, ErrorCode: wire.NoError})
			}
		case *wire.Ping:
			pc.Control().Send(&wire.Pong{Seq: f.Seq})
		case *wire.Pong:
			cs.pong(pc)
		default:
			return protocolError("secondary path %d sent %v, which a client does not accept from a secondary", pc.ID(), f.Type())
		}
		return nil
	}
}

// The messages of the client's records about a secondary it could not add
// (attributes "addr", and "reason" or "err"): a client application that
// tells its user watches for them in its Config.Logger (kwik get does).
const (
	LogPathRefused = "secondary path refused"
	LogPathFailed  = "secondary path failed"
)

// addPath dials the secondary the primary named, in the background, and
// reports the outcome to the primary. A path the client's policy refuses
// is reported failed with the reason.
func (cs *clientState) addPath(f *wire.AddPath) {
	s := cs.s
	if reason := cs.reserve(f.PathID); reason != "" {
		s.log.Info(LogPathRefused, "path", f.PathID, "addr", f.Address, "reason", reason)
		s.primary.Control().Send(&wire.PathStatus{PathID: f.PathID, Status: wire.PathFailed, Reason: reason})
		return
	}
	s.wg.Go(func() {
		pc, err := cs.openPath(f)
		cs.mu.Lock()
		delete(cs.opening, f.PathID)
		if err == nil && s.Err() != nil {
			cs.mu.Unlock()
			pc.Conn().CloseWithError(0, "")
			return
		}
		if err == nil {
			cs.secondaries[f.PathID] = pc
			cs.dials.refund() // a willing KWIK secondary: the budget is for dials nobody answers
		}
		cs.mu.Unlock()
		if err != nil {
			s.log.Info(LogPathFailed, "path", f.PathID, "addr", f.Address, "err", err)
			s.primary.Control().Send(&wire.PathStatus{PathID: f.PathID, Status: wire.PathFailed, Reason: control.TruncateReason(err.Error())})
			return
		}
		s.runPath(pc, cs.handleSecondary(pc), s.admission.ForPath(f.PathID, data.RoleSecondary, pc), func(err error) { cs.pathEnded(pc, err) })
		s.log.Debug("secondary path active", "path", f.PathID, "addr", f.Address)
		s.primary.Control().Send(&wire.PathStatus{PathID: f.PathID, Status: wire.PathActive})
	})
}

// reserve books path ID id for a dial, or says why the client refuses it:
// an ID in use, too many paths, dials too fast.
func (cs *clientState) reserve(id uint64) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	max := cs.s.conf.MaxPaths
	switch {
	case id == 0:
		return "path ID 0 already in use (the primary's)"
	case cs.secondaries[id] != nil || cs.opening[id]:
		return fmt.Sprintf("path ID %d already in use", id)
	case len(cs.secondaries)+len(cs.opening) >= max:
		return fmt.Sprintf("the client has %d secondary paths open or opening, its maximum (Config.MaxPaths)", max)
	case !cs.dials.take(time.Now()):
		return fmt.Sprintf("the client dials at most %d paths at once, then one per %v while dials go unanswered; add the path again later", max, pathDialInterval)
	}
	cs.opening[id] = true
	return ""
}

// openPath resolves a secondary's address, checks it against the client's
// policy and joins the secondary through the session's transport.
func (cs *clientState) openPath(f *wire.AddPath) (*transport.Path, error) {
	s := cs.s
	ctx, cancel := context.WithTimeout(s.ctx, s.conf.HandshakeTimeout)
	defer cancel()
	to, err := resolveUDP(ctx, f.Address)
	if err != nil {
		return nil, err
	}
	if err := checkUnicast(f.Address, to); err != nil {
		return nil, err
	}
	if err := cs.allow(f.Address, to); err != nil {
		return nil, fmt.Errorf("kwik: path to %s refused: %w", f.Address, err)
	}
	hello := &wire.ClientHello{SessionID: s.sessionID, PathID: f.PathID, Token: f.Token}
	conn, ch, sh, err := dialPath(ctx, s.conf, cs.tr, f.Address, to, cs.tls, f.CertPin, hello)
	if err != nil {
		return nil, err
	}
	if sh.Role != wire.RoleSecondary || sh.PathID != f.PathID {
		conn.CloseWithError(0, "")
		return nil, fmt.Errorf("kwik: %s did not join as secondary path %d", f.Address, f.PathID)
	}
	return transport.NewPath(f.PathID, f.Address, false, conn, ch, s.conf.LanesPerPath), nil
}

// removePath drains a secondary path on the primary's request: it relays
// nothing more to it and tells the secondary, which finishes its work and
// closes the path; one that does not is closed after MaxIdleTimeout.
func (cs *clientState) removePath(id uint64) {
	s := cs.s
	cs.mu.Lock()
	pc := cs.secondaries[id]
	cs.mu.Unlock()
	if pc == nil {
		s.primary.Control().Send(&wire.PathStatus{PathID: id, Status: wire.PathRemoved, Reason: "no such path"})
		return
	}
	if !pc.SetState(transport.PathRemoved, nil) {
		return // ending already
	}
	pc.Control().Send(&wire.RemovePath{PathID: id})
	conn := pc.Conn()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(s.conf.MaxIdleTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			conn.CloseWithError(0, "path removed by the primary; the secondary did not close it")
		case <-conn.Context().Done():
		case <-s.ctx.Done():
		}
	}()
}

// pathEnded forgets a secondary path and tells the primary.
func (cs *clientState) pathEnded(pc *transport.Path, err error) {
	status := wire.PathDead
	if !pc.SetState(transport.PathDead, err) {
		if st, _ := pc.State(); st == transport.PathRemoved {
			status = wire.PathRemoved
		}
	}
	cs.mu.Lock()
	delete(cs.secondaries, pc.ID())
	for _, w := range cs.writers {
		delete(w, pc.ID())
	}
	cs.mu.Unlock()
	cs.s.admission.PathEnded(pc.ID())
	if cs.s.Err() != nil {
		return
	}
	reason := ""
	if err != nil && status == wire.PathDead {
		reason = control.TruncateReason(err.Error())
	}
	cs.s.log.Info("secondary path ended", "path", pc.ID(), "status", status, "err", err)
	cs.s.primary.Control().Send(&wire.PathStatus{PathID: pc.ID(), Status: status, Reason: reason})
}

// relay forwards raw data from the primary to the secondary it names,
// unchanged: only the secondary can check its authenticity.
func (cs *clientState) relay(f *wire.RawData) {
	cs.mu.Lock()
	pc := cs.secondaries[f.PathID]
	cs.mu.Unlock()
	if pc == nil {
		cs.s.primary.Control().Send(&wire.PathStatus{PathID: f.PathID, Status: wire.PathDead, Reason: "raw data for a path the client does not have"})
		return
	}
	if st, _ := pc.State(); st == transport.PathRemoved {
		return // sent before the primary removed the path; it knows
	}
	if err := pc.Control().Send(f); err != nil {
		cs.s.log.Warn("relaying raw data", "path", f.PathID, "err", err)
	}
}

// subscribe makes pc hear the limits of a stream it writes into.
func (cs *clientState) subscribe(streamID uint64, pc *transport.Path) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	w := cs.writers[streamID]
	if w == nil {
		w = make(map[uint64]*transport.Path)
		cs.writers[streamID] = w
	}
	w[pc.ID()] = pc
}

// sendToWriters sends f to the secondaries writing into a stream.
func (cs *clientState) sendToWriters(streamID uint64, f wire.Frame) {
	cs.mu.Lock()
	var targets []*transport.Path
	for _, pc := range cs.writers[streamID] {
		targets = append(targets, pc)
	}
	cs.mu.Unlock()
	for _, pc := range targets {
		pc.Control().Send(f)
	}
}

// secondary returns secondary path id, or nil.
func (cs *clientState) secondary(id uint64) *transport.Path {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.secondaries[id]
}

// forgetStream drops what the client kept about a finished stream.
func (cs *clientState) forgetStream(id uint64) {
	cs.mu.Lock()
	delete(cs.writers, id)
	cs.mu.Unlock()
	cs.deliveries.Forget(id)
	cs.s.admission.ForgetStream(id)
}

// allPaths returns the primary path and every secondary path.
func (cs *clientState) allPaths() []*transport.Path {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := []*transport.Path{cs.s.primary}
	for _, pc := range cs.secondaries {
		out = append(out, pc)
	}
	return out
}

// answerRanges tells the primary which bytes of a stream are missing; the
// rangesAnswerer calls it at a bounded rate.
func (cs *clientState) answerRanges(requestID, streamID uint64) {
	m, err := cs.s.dpm.MissingRanges(streamID)
	f := &wire.MissingRanges{RequestID: requestID}
	f.StreamID = streamID
	if err == nil {
		fillMissing(f, m)
	}
	cs.s.primary.Control().Send(f)
}

// reportGap tells the primary, unasked, about a gap nobody filled in time.
func (cs *clientState) reportGap(g presentation.GapReport) {
	if !cs.ranges.allow() {
		return // reported again at the next gap timeout
	}
	m, err := cs.s.dpm.MissingRanges(g.StreamID)
	if err != nil {
		return
	}
	f := &wire.MissingRanges{}
	fillMissing(f, m)
	cs.s.primary.Control().Send(f)
}

// fillMissing copies the presentation layer's view into a frame, keeping as
// many ranges as the frame can carry (the lowest: those block the reader).
func fillMissing(f *wire.MissingRanges, m presentation.MissingRanges) {
	m.Ranges = m.Ranges[:min(len(m.Ranges), wire.MaxRanges)]
	f.MissingRanges = m
}

// reportLoop sends delivery reports while the session lives.
func (cs *clientState) reportLoop(every time.Duration) {
	defer cs.s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-cs.s.ctx.Done():
			return
		case <-t.C:
			cs.sendReport(false)
		}
	}
}

// sendReport sends the per-path delivery counters, if they changed or force.
func (cs *clientState) sendReport(force bool) {
	entries := cs.deliveries.Report(force)
	if entries == nil && !force {
		return
	}
	for len(entries) > wire.MaxDeliveries {
		cs.s.primary.Control().Send(&wire.DeliveryReport{Deliveries: entries[:wire.MaxDeliveries]})
		entries = entries[wire.MaxDeliveries:]
	}
	cs.s.primary.Control().Send(&wire.DeliveryReport{Deliveries: entries})
}
