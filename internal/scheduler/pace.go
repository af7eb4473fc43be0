package scheduler

// paced reports whether path p is the relay (Config.Relay) and measured
// at most half as fast as every other live path with a measured rate, of
// which there is at least one: its queue is then the one the other paths'
// commands wait in, and its own bytes are the least worth keeping it full
// for. Paths of about one rate (many sessions sharing a machine) are not
// paced: their pieces would be cut to short writes for nothing.
func (pl *plan) paced(p *pathState) bool {
	if pl.cfg.Relay == nil || pl.cfg.Relay.PathID != p.id || !p.est.rateKnown {
		return false
	}
	others := false
	for _, q := range pl.paths {
		if q == p || !q.alive || !q.est.rateKnown {
			continue
		}
		if q.est.rate < pacedRatio*p.est.rate {
			return false
		}
		others = true
	}
	return others
}

// pacedRatio is how many times faster than the relay every other path must
// be for it to be paced.
const pacedRatio = 2
