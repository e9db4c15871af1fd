/**
 * Observability files against a real server: /metrics parses with a Prometheus text-format parser and carries
 * the families the deploy files rely on; deploy/grafana/onair.json is a well-formed Grafana dashboard whose every
 * query names only metrics onair exports; deploy/prometheus.yml scrapes the API port's /metrics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { parse as parseYaml } from 'yaml';
import { OnairClient } from '../../src/client/index.js';
import { REPO_ROOT, startTestServer, type TestServer } from '../helpers/server.js';

interface GrafanaTarget { refId: string; expr: string; datasource?: unknown }
interface GrafanaPanel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: GrafanaTarget[] }
interface GrafanaDashboard { title: string; uid: string; schemaVersion: number; panels: GrafanaPanel[]; templating: { list: { name: string; type: string }[] }; time: { from: string; to: string } }

/** The metric names a PromQL expression selects: drop strings, label matchers, ranges and by/without clauses, then function names. */
function metricNamesOf(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!)
    .filter((n) => !['and', 'or', 'unless', 'bool', 'offset'].includes(n));
}

describe('metrics, Grafana dashboard, Prometheus config', () => {
  let srv: TestServer;
  let families: PromFamily[];
  let text: string;

  before(async () => {
    srv = await startTestServer();
    const client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
    await client.liveStreams.create({ playbackSettings: {}, inputMediaSettings: {} });
    await client.liveStreams.list();
    text = await client.system.metrics();
    families = parsePrometheusTextFormat(text);
  });
  after(async () => { await srv?.stop(); });

  test('/metrics parses as Prometheus text and covers streams, webhooks, process memory and event-loop delay', () => {
    const typeLines = text.split('\n').filter((l) => l.startsWith('# TYPE ')).length;
    assert.ok(families.length >= 30, `only ${families.length} families`);
    assert.equal(families.length, typeLines, 'every declared family was parsed');
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const name of ['onair_streams', 'onair_webhook_queue_depth', 'onair_live_sessions', 'onair_api_requests_total', 'onair_playback_requests_total',
      'onair_playback_held_requests', 'onair_webhook_deliveries_total', 'onair_process_resident_memory_bytes', 'onair_nodejs_eventloop_lag_p99_seconds',
      'onair_stream_viewers', 'onair_stream_ingest_frames', 'onair_stream_ingest_bitrate_bps', 'onair_stream_ingest_fps', 'onair_packager_segments_total',
      'onair_playback_blocking_waits_total', 'onair_playback_blocking_wait_seconds_total', 'onair_webhook_delivery_failures_total', 'onair_webhook_delivery_seconds']) {
      assert.ok(byName.has(name), `missing ${name}`);
    }
    const streams = byName.get('onair_streams')!;
    assert.equal(streams.type, 'GAUGE');
    assert.equal(streams.metrics.find((m) => m.labels?.status === 'idle')?.value, '1');
    assert.equal(byName.get('onair_webhook_queue_depth')!.metrics[0]!.value !== undefined, true);
    assert.ok(Number(byName.get('onair_process_resident_memory_bytes')!.metrics[0]!.value) > 10e6);
  });

  test('deploy/grafana/onair.json is a Grafana dashboard and every query names an exported metric', () => {
    const dash = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'onair.json'), 'utf8')) as GrafanaDashboard;
    assert.equal(typeof dash.title, 'string');
    assert.match(dash.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(Number.isInteger(dash.schemaVersion) && dash.schemaVersion >= 30);
    assert.ok(dash.templating.list.some((v) => v.type === 'datasource'));
    assert.ok(dash.panels.length >= 10);
    const ids = new Set<number>();
    const exported = new Set(families.map((f) => f.name));
    // series a family exposes: histograms add _bucket/_sum/_count
    for (const f of families) if (f.type === 'HISTOGRAM' || f.type === 'SUMMARY') for (const s of ['_bucket', '_sum', '_count']) exported.add(f.name + s);
    const used = new Set<string>();
    for (const p of dash.panels) {
      assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
      ids.add(p.id);
      assert.ok(['timeseries', 'stat', 'gauge', 'table', 'bargauge'].includes(p.type), `panel type ${p.type}`);
      assert.ok(p.title.length > 0);
      for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Number.isInteger(p.gridPos[k]) && p.gridPos[k] >= 0);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `panel ${p.title} wider than the grid`);
      assert.ok(p.targets.length > 0, `panel ${p.title} has no query`);
      for (const t of p.targets) {
        assert.match(t.refId, /^[A-Z]$/);
        const names = metricNamesOf(t.expr);
        const metrics = names.filter((n) => n.startsWith('onair_'));
        assert.ok(metrics.length > 0, `query names no onair metric: ${t.expr}`);
        assert.deepEqual(names.filter((n) => !n.startsWith('onair_')), [], `unknown identifiers in ${t.expr}`);
        for (const m of metrics) {
          assert.ok(exported.has(m), `${p.title}: ${m} is not exported by onair (${t.expr})`);
          used.add(m);
        }
      }
    }
    assert.ok(used.size >= 15, `only ${used.size} metrics used`);
  });

  test('deploy/prometheus.yml scrapes /metrics on the API port', () => {
    const cfg = parseYaml(readFileSync(join(REPO_ROOT, 'deploy', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const job = cfg.scrape_configs.find((j) => j.job_name === 'onair');
    assert.ok(job);
    assert.equal(job.metrics_path ?? '/metrics', '/metrics');
    assert.deepEqual(job.static_configs[0]!.targets, ['127.0.0.1:8080']);
  });
});
