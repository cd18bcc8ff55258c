package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in its own registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	perModel map[string]*modelMetrics
}

// modelMetrics are one model's series.
type modelMetrics struct {
	promptTokens, cachedTokens, completionTokens prometheus.Counter
	ttft, itl                                    prometheus.Observer
}

func newMetrics(reg *prometheus.Registry, models []*servedModel) *metrics {
	m := &metrics{reg: reg, perModel: map[string]*modelMetrics{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seekd_requests_total", Help: "HTTP requests by endpoint and status code.",
	}, []string{"endpoint", "code"})
	prompt := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "seekd_prompt_tokens_total", Help: "Prompt tokens of finished requests."}, []string{"model"})
	cached := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "seekd_prompt_cache_hit_tokens_total", Help: "Prompt tokens served from the prefix cache."}, []string{"model"})
	completion := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "seekd_completion_tokens_total", Help: "Generated tokens of finished requests."}, []string{"model"})
	ttft := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "seekd_time_to_first_token_seconds", Help: "Time from submission to the first generated token (queueing and prefill).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"model"})
	itl := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "seekd_inter_token_latency_seconds", Help: "Time between consecutive generated tokens of a request.",
		Buckets: []float64{.005, .01, .02, .04, .08, .16, .32, .64, 1.28, 2.56},
	}, []string{"model"})
	reg.MustRegister(m.requests, prompt, cached, completion, ttft, itl,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, sm := range models {
		name := sm.Name
		m.perModel[name] = &modelMetrics{
			promptTokens:     prompt.WithLabelValues(name),
			cachedTokens:     cached.WithLabelValues(name),
			completionTokens: completion.WithLabelValues(name),
			ttft:             ttft.WithLabelValues(name),
			itl:              itl.WithLabelValues(name),
		}
		eng := sm.Engine
		labels := prometheus.Labels{"model": name}
		gauge := func(metric, help string, f func() float64) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metric, Help: help, ConstLabels: labels}, f))
		}
		gauge("seekd_queue_depth", "Requests waiting for a batch slot.", func() float64 { return float64(eng.Stats().Waiting) })
		gauge("seekd_running_requests", "Requests in the running batch.", func() float64 { return float64(eng.Stats().Running) })
		gauge("seekd_kv_cache_blocks_used", "KV cache blocks in use.", func() float64 { return float64(eng.Stats().CacheBlocksUsed) })
		gauge("seekd_kv_cache_blocks_total", "KV cache blocks the budget allows.", func() float64 { return float64(eng.Stats().CacheBlocksTotal) })
		gauge("seekd_kv_cache_usage_ratio", "Fraction of the KV cache budget in use.", func() float64 {
			st := eng.Stats()
			if st.CacheBlocksTotal == 0 {
				return 0
			}
			return float64(st.CacheBlocksUsed) / float64(st.CacheBlocksTotal)
		})
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "seekd_engine_steps_total", Help: "Forward steps run.", ConstLabels: labels},
			func() float64 { return float64(eng.Stats().Steps) }))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "seekd_preemptions_total", Help: "Sequences preempted for cache space.", ConstLabels: labels},
			func() float64 { return float64(eng.Stats().Preemptions) }))
		gauge("seekd_prompt_cache_hit_ratio", "Fraction of looked-up prompt tokens served from the prefix cache.", func() float64 {
			p := eng.Stats().Prefix
			if p.LookupTokens == 0 {
				return 0
			}
			return float64(p.HitTokens) / float64(p.LookupTokens)
		})
		for _, tier := range []string{"ram", "disk"} {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "seekd_prompt_cache_bytes", Help: "Bytes the prefix cache holds, per tier.",
				ConstLabels: prometheus.Labels{"model": name, "tier": tier}}, func() float64 {
				st := eng.Stats()
				if tier == "ram" {
					return float64(int64(st.Prefix.RAMBlocks) * st.CacheBlockBytes)
				}
				return float64(st.Prefix.DiskBytes)
			}))
		}
	}
	return m
}

// model returns a model's series.
func (m *metrics) model(name string) *modelMetrics { return m.perModel[name] }

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
