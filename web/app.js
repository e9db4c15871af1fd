// onair dashboard: Preact + htm (escaping by construction: user data only ever goes into text nodes and
// attributes, never innerHTML), uPlot charts, hls.js preview. Talks to /dashboard/api/* (the /v1 API through the
// session) with the CSRF token, and listens to /dashboard/events (Server-Sent Events) for live state.
import { h, render } from './preact.js';
import { useEffect, useRef, useState } from './hooks.js';
import htm from './htm.js';
import uPlot from './uplot.js';
import Hls from './hls.js';

const html = htm.bind(h);
let csrf = '';

/** the /v1 API through the session */
const call = (method, path, body) => request(method, `/dashboard/api/${path}`, body);
/** the dashboard's own endpoints (timeline, deliveries, tokens, simulcast state) */
const dash = (method, path, body) => request(method, `/dashboard/${path}`, body);

async function request(method, url, body) {
  const res = await fetch(url, {
    method, credentials: 'same-origin',
    headers: { 'x-onair-csrf': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) { location.hash = ''; window.dispatchEvent(new Event('onair-logout')); }
  if (!res.ok || !json.success) {
    const e = json.error || {};
    throw new Error(`${e.message || `HTTP ${res.status}`}${e.description ? `: ${e.description}` : ''}${e.fields ? `: ${e.fields.map((f) => `${f.field} ${f.message}`).join('; ')}` : ''}`);
  }
  return json;
}

/** history of live samples per stream, kept by this tab (last 5 minutes) */
const history = new Map();
function remember(at, streams) {
  for (const s of streams) {
    let hs = history.get(s.streamId);
    if (!hs) history.set(s.streamId, hs = []);
    hs.push({ t: at / 1000, viewers: s.viewers, fps: s.framesPerSecond, kbps: s.bitrateKbps });
    while (hs.length && hs[0].t < at / 1000 - 300) hs.shift();
  }
}

function useLive() {
  const [live, setLive] = useState({});
  useEffect(() => {
    const es = new EventSource('/dashboard/events');
    es.addEventListener('live', (ev) => {
      const d = JSON.parse(ev.data);
      remember(d.at, d.streams);
      setLive(Object.fromEntries(d.streams.map((s) => [s.streamId, s])));
    });
    es.addEventListener('session', () => { es.close(); window.dispatchEvent(new Event('onair-logout')); });
    return () => es.close();
  }, []);
  return live;
}

const uptime = (since) => {
  if (!since) return '-';
  const s = Math.floor((Date.now() - since) / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`;
};

function Status({ status }) { return html`<span class="status ${status}" data-testid="status">${status}</span>`; }

function Copy({ text, label }) {
  const [done, setDone] = useState(false);
  return html`<button data-testid=${`copy-${label}`} onClick=${async () => { await navigator.clipboard.writeText(text); setDone(true); setTimeout(() => setDone(false), 1500); }}>${done ? 'copied' : 'copy'}</button>`;
}

function Secret({ value, label }) {
  const [shown, setShown] = useState(false);
  return html`<span class="row"><span class="secret" data-testid=${`secret-${label}`}>${shown ? value : '•'.repeat(12)}</span>
    <button data-testid=${`toggle-${label}`} onClick=${() => setShown(!shown)}>${shown ? 'hide' : 'show'}</button><${Copy} text=${value} label=${label} /></span>`;
}

function Login({ onLogin }) {
  const [err, setErr] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const res = await fetch('/dashboard/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokenId: f.get('tokenId'), secret: f.get('secret') }) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) return setErr(json.error ? `${json.error.message}: ${json.error.description || ''}` : `HTTP ${res.status}`);
    onLogin(json.data);
  };
  return html`<form class="panel login" onSubmit=${submit}>
    <h2>onair</h2><p class="muted">Log in with an access token.</p>
    <input name="tokenId" placeholder="token id" autocomplete="username" required />
    <input name="secret" type="password" placeholder="secret" autocomplete="current-password" required />
    ${err && html`<p class="error" data-testid="login-error">${err}</p>`}
    <button class="primary" type="submit">Log in</button></form>`;
}

function Streams({ live, go }) {
  const [streams, setStreams] = useState(null);
  const [err, setErr] = useState('');
  const [name, setName] = useState('');
  const load = () => call('GET', 'live/streams?limit=50').then((r) => setStreams(r.data), (e) => setErr(e.message));
  useEffect(() => { load(); }, []);
  // a stream's status comes from the live feed as soon as it changes
  const create = async (e) => {
    e.preventDefault();
    try {
      const r = await call('POST', 'live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: name ? { metadata: { name } } : {} });
      setName('');
      go(`stream/${r.data.streamId}`);
    } catch (x) { setErr(x.message); }
  };
  return html`<div class="panel"><form class="row" onSubmit=${create}>
      <input value=${name} onInput=${(e) => setName(e.target.value)} placeholder="name (metadata)" data-testid="new-name" maxlength="255" />
      <button class="primary" type="submit" data-testid="create">Create stream</button></form></div>
    ${err && html`<p class="error">${err}</p>`}
    <div class="panel"><table data-testid="streams"><thead><tr><th>Name</th><th>Status</th><th>Viewers</th><th>Uptime</th><th class="hide-narrow">Frames/s</th><th class="hide-narrow">Bitrate</th><th class="hide-narrow">Stream id</th></tr></thead>
    <tbody>${(streams || []).map((s) => {
      const l = live[s.streamId] || {};
      return html`<tr key=${s.streamId} data-stream=${s.streamId}>
        <td><a onClick=${() => go(`stream/${s.streamId}`)} data-testid="stream-name">${(s.metadata && s.metadata.name) || s.streamId.slice(0, 8)}</a></td>
        <td><${Status} status=${l.status || s.status} /></td><td data-testid="viewers">${l.viewers ?? 0}</td><td>${uptime(l.sessionStartedAt)}</td>
        <td class="hide-narrow">${l.framesPerSecond ?? '-'}</td><td class="hide-narrow">${l.bitrateKbps != null ? `${l.bitrateKbps} kb/s` : 'n/a'}</td><td class="hide-narrow secret">${s.streamId}</td></tr>`;
    })}</tbody></table>${streams && streams.length === 0 ? html`<p class="muted">No streams yet.</p>` : ''}</div>`;
}

function Chart({ id, field, label }) {
  const ref = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const data = () => { const hs = history.get(id) || []; return [hs.map((x) => x.t), hs.map((x) => x[field])]; };
    plot.current = new uPlot({ width: Math.min(ref.current.clientWidth || 300, 560), height: 160, series: [{}, { label, stroke: '#4f8cff', spanGaps: true }], axes: [{ stroke: '#8a93a3' }, { stroke: '#8a93a3' }] }, data(), ref.current);
    const t = setInterval(() => plot.current.setData(data()), 1000);
    return () => { clearInterval(t); plot.current.destroy(); };
  }, [id, field]);
  return html`<div><div class="muted">${label}</div><div ref=${ref}></div></div>`;
}

function Preview({ url, live = true, testid = 'preview' }) {
  const ref = useRef(null);
  useEffect(() => {
    const video = ref.current;
    if (Hls.isSupported()) {
      const hls = new Hls({ lowLatencyMode: live });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
      return () => hls.destroy();
    }
    video.src = url;
    return () => { video.removeAttribute('src'); };
  }, [url]);
  return html`<video ref=${ref} muted playsinline controls data-testid=${testid}></video>`;
}

const EVENT_LABEL = { connected: 'connected', preparing: 'preparing', active: 'active', disconnected: 'disconnected', idle: 'idle', recording: 'recording', created: 'created', updated: 'updated', enabled: 'enabled', disabled: 'disabled', deleted: 'deleted' };
const time = (iso) => new Date(iso).toLocaleTimeString();

/** the lifecycle events of the stream's sessions, from the webhook outbox, oldest first; reloaded when the status moves */
function Timeline({ id, status }) {
  const [events, setEvents] = useState([]);
  const [err, setErr] = useState('');
  useEffect(() => {
    let stop = false;
    const load = () => dash('GET', `streams/${id}/events`).then((r) => { if (!stop) setEvents(r.data); }, (e) => setErr(e.message));
    load();
    const t = setTimeout(load, 1500); // (the outbox row is written just after the state change the feed reported)
    return () => { stop = true; clearTimeout(t); };
  }, [id, status]);
  const lifecycle = events.filter((e) => e.type.startsWith('video.live_stream.') && !e.type.includes('simulcast'));
  return html`<div class="panel"><h3>Timeline</h3>${err && html`<p class="error">${err}</p>`}
    ${lifecycle.length === 0 ? html`<p class="muted">No sessions yet.</p>` : ''}
    <ol class="timeline" data-testid="timeline">${lifecycle.map((e) => {
      const kind = e.type.slice('video.live_stream.'.length);
      return html`<li key=${e.id} class=${`ev ${kind}`} data-type=${kind}><span class="dot"></span><span class="when">${time(e.createdAt)}</span><span>${EVENT_LABEL[kind] || kind}</span></li>`;
    })}</ol></div>`;
}

/** recordings and clips of the stream: status, duration, thumbnail, and the VOD player */
function MediaList({ id, info, status }) {
  const [media, setMedia] = useState([]);
  const [playing, setPlaying] = useState(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const all = [];
        for (let offset = 1; offset <= 20; offset++) {
          const r = await call('GET', `on-demand?limit=50&offset=${offset}`);
          all.push(...r.data);
          if (!r.pagination || offset >= r.pagination.offsetCount) break;
        }
        if (!stop) setMedia(all.filter((m) => m.streamId === id));
      } catch (e) { setErr(e.message); }
    };
    load();
    const t = setInterval(load, 5000);
    return () => { stop = true; clearInterval(t); };
  }, [id, status]);
  if (media.length === 0 && !err) return html`<div class="panel"><h3>Recordings and clips</h3><p class="muted" data-testid="no-media">None yet.</p></div>`;
  const pid = (m) => m.playbackIds && m.playbackIds.find((p) => p.accessPolicy === 'public');
  return html`<div class="panel"><h3>Recordings and clips</h3>${err && html`<p class="error">${err}</p>`}
    <div class="media-grid" data-testid="media">${media.map((m) => {
      const p = info && pid(m);
      return html`<div class="media-item" key=${m.id} data-media=${m.id} data-status=${m.status}>
        ${p && m.status === 'Ready' ? html`<img loading="lazy" alt="thumbnail" data-testid="thumbnail" src=${`${info.playback}/${p.id}/thumbnail.jpg?width=320`} />` : html`<div class="thumb-missing">${m.status}</div>`}
        <div class="row"><span class="status">${m.status}</span><span>${m.duration || ''}</span>${m.title ? html`<span>${m.title}</span>` : ''}</div>
        <div class="muted secret">${m.id}</div>
        ${p && m.status === 'Ready' ? html`<button data-testid="play-media" onClick=${() => setPlaying(`${info.playback}/${p.id}.m3u8`)}>Play</button>` : ''}</div>`;
    })}</div>
    ${playing ? html`<${Preview} url=${playing} live=${false} testid="vod-player" key=${playing} />` : ''}</div>`;
}

/** the media plane's state of each simulcast target (connecting, broadcasting, errored, …), while the page is open */
function useSimulcastState(id, active) {
  const [state, setState] = useState({});
  useEffect(() => {
    if (!active) { setState({}); return undefined; }
    let stop = false;
    const load = () => dash('GET', `streams/${id}/simulcast`).then((r) => { if (!stop) setState(Object.fromEntries(r.data.map((t) => [t.simulcastId, t]))); }, () => {});
    load();
    const t = setInterval(load, 2000);
    return () => { stop = true; clearInterval(t); };
  }, [id, active]);
  return state;
}

function Stream({ id, live, info, go }) {
  const [s, setS] = useState(null);
  const [err, setErr] = useState('');
  const [meta, setMeta] = useState('');
  const [sim, setSim] = useState({ url: '', streamKey: '' });
  const load = () => call('GET', `live/streams/${id}`).then((r) => { setS(r.data); setMeta(JSON.stringify(r.data.metadata || {})); }, (e) => setErr(e.message));
  useEffect(() => { load(); }, [id]);
  const l = live[id] || {};
  const status = l.status || (s && s.status);
  useEffect(() => { if (s && l.status && l.status !== s.status) load(); }, [l.status]);
  const simState = useSimulcastState(id, status === 'active' || status === 'preparing');
  const [dvr, setDvr] = useState(false);
  const act = (method, path, body, then) => async () => {
    setErr('');
    try { await call(method, path, body); then ? then() : load(); } catch (x) { setErr(x.message); }
  };
  if (!s) return html`${err ? html`<p class="error">${err}</p>` : html`<p class="muted">loading…</p>`}`;
  const rtmp = info ? `${info.rtmp}` : '';
  const srt = info ? `${info.srt}?streamid=${s.streamId}&passphrase=${s.srtSecret}` : '';
  const hls = info && s.playbackIds[0] ? `${info.playback}/${s.playbackIds[0].id}.m3u8` : '';
  return html`<p><a onClick=${() => go('')}>← streams</a></p>
    ${err && html`<p class="error" data-testid="error">${err}</p>`}
    <div class="panel"><div class="row"><h2 data-testid="title" style="margin:0">${(s.metadata && s.metadata.name) || s.streamId}</h2><${Status} status=${status} /></div>
      <p class="muted">viewers <b data-testid="detail-viewers">${l.viewers ?? 0}</b> · uptime ${uptime(l.sessionStartedAt)} · frames/s ${l.framesPerSecond ?? '-'} · bitrate ${l.bitrateKbps != null ? `${l.bitrateKbps} kb/s` : 'n/a'}</p>
      <div class="row">
        ${status === 'disabled' ? html`<button onClick=${act('PUT', `live/streams/${id}/live-enable`)} data-testid="enable">Enable</button>` : html`<button onClick=${act('PUT', `live/streams/${id}/live-disable`)} data-testid="disable">Disable</button>`}
        <button onClick=${act('PUT', `live/streams/${id}/finish`)} disabled=${status !== 'active'} data-testid="finish">Finish</button>
        <button class="danger" data-testid="delete" onClick=${() => confirm('Delete this stream for good?') && act('DELETE', `live/streams/${id}`, undefined, () => go(''))()}>Delete</button>
      </div></div>
    <div class="panel"><h3>Encoder settings (OBS: Settings → Stream → Custom)</h3><div class="kv">
      <span>RTMP server</span><span class="row"><span class="secret" data-testid="rtmp-url">${rtmp}</span><${Copy} text=${rtmp} label="rtmp" /></span>
      ${info && info.rtmps ? html`<span>RTMPS server</span><span class="row"><span class="secret">${info.rtmps}</span><${Copy} text=${info.rtmps} label="rtmps" /></span>` : ''}
      <span>Stream key</span><${Secret} value=${s.streamKey} label="key" />
      <span>SRT URL</span><${Secret} value=${srt} label="srt" />
      <span>HLS playback</span><span class="row"><span class="secret">${hls}</span><${Copy} text=${hls} label="hls" /></span>
    </div></div>
    ${status === 'active' && hls ? html`<div class="panel"><h3>Preview</h3>
      ${s.enableDvrMode ? html`<div class="row"><label><input type="checkbox" checked=${dvr} onChange=${(e) => setDvr(e.target.checked)} data-testid="dvr" /> DVR (seek back to the session start)</label></div>` : ''}
      <${Preview} url=${dvr ? `${hls}?dvrMode=true` : hls} key=${dvr ? 'dvr' : 'live'} testid=${dvr ? 'dvr-player' : 'preview'} /></div>` : ''}
    <${Timeline} id=${id} status=${status} />
    <${MediaList} id=${id} info=${info} status=${status} />
    <div class="panel"><h3>Last minutes</h3><div class="charts">
      <${Chart} id=${id} field="viewers" label="viewers" /><${Chart} id=${id} field="fps" label="video frames/s" /><${Chart} id=${id} field="kbps" label="ingest kb/s" /></div></div>
    <div class="panel"><h3>Metadata</h3><div class="row"><input style="flex:1" value=${meta} onInput=${(e) => setMeta(e.target.value)} data-testid="metadata" />
      <button onClick=${() => { let m; try { m = JSON.parse(meta); } catch { return setErr('metadata must be a JSON object of strings'); } act('PATCH', `live/streams/${id}`, { metadata: m })(); }} data-testid="save-metadata">Save</button></div></div>
    <div class="panel"><h3>Simulcast targets</h3><div class="scroll"><table data-testid="simulcasts"><tbody>${(s.simulcastResponses || []).map((t) => html`<tr key=${t.simulcastId} data-simulcast=${t.simulcastId}><td class="secret" data-testid="simulcast-url">${t.url}</td><td>${t.isEnabled ? 'enabled' : 'disabled'}</td>
        <td data-testid="simulcast-state">${simState[t.simulcastId] ? html`<span class=${`status ${simState[t.simulcastId].state}`}>${simState[t.simulcastId].state}</span>${simState[t.simulcastId].lastError ? html` <span class="muted">${simState[t.simulcastId].lastError}</span>` : ''}` : html`<span class="muted">not live</span>`}</td>
        <td><button onClick=${act('PUT', `live/streams/${id}/simulcast/${t.simulcastId}`, { isEnabled: !t.isEnabled })}>${t.isEnabled ? 'Disable' : 'Enable'}</button>
        <button class="danger" onClick=${act('DELETE', `live/streams/${id}/simulcast/${t.simulcastId}`)}>Remove</button></td></tr>`)}</tbody></table></div>
      <div class="row"><input placeholder="rtmp://host/app" value=${sim.url} onInput=${(e) => setSim({ ...sim, url: e.target.value })} /><input placeholder="stream key" value=${sim.streamKey} onInput=${(e) => setSim({ ...sim, streamKey: e.target.value })} />
        <button onClick=${act('POST', `live/streams/${id}/simulcast`, sim, () => { setSim({ url: '', streamKey: '' }); load(); })}>Add target</button></div></div>
    <div class="panel"><h3>Playback ids</h3><table><tbody>${s.playbackIds.map((p) => html`<tr key=${p.id}><td class="secret">${p.id}</td><td>${p.accessPolicy}</td></tr>`)}</tbody></table></div>`;
}

function Simple({ title, path, columns, create, remove }) {
  const [rows, setRows] = useState([]);
  const [err, setErr] = useState('');
  const [made, setMade] = useState(null);
  const load = () => (path.startsWith('/') ? fetch(path, { headers: { 'x-onair-csrf': csrf } }).then((r) => r.json()) : call('GET', path)).then((r) => setRows(r.data || []), (e) => setErr(e.message));
  useEffect(() => { load(); }, [path]);
  return html`<div class="panel"><h3>${title}</h3>${err && html`<p class="error">${err}</p>`}
    ${create ? html`<div class="row">${create.input || ''}<button class="primary" onClick=${async () => { try { setMade((await create.run()).data); load(); } catch (x) { setErr(x.message); } }}>${create.label}</button></div>` : ''}
    ${made ? html`<pre class="secret">${JSON.stringify(made, null, 2)}</pre>` : ''}
    <table><thead><tr>${columns.map((c) => html`<th>${c}</th>`)}<th></th></tr></thead><tbody>${rows.map((r) => html`<tr key=${r.id}>${columns.map((c) => html`<td class="secret">${String(r[c] ?? '-')}</td>`)}
      <td>${remove ? html`<button class="danger" onClick=${async () => { try { await remove(r); load(); } catch (x) { setErr(x.message); } }}>Delete</button>` : ''}</td></tr>`)}</tbody></table></div>`;
}

function Deliveries({ endpoint }) {
  const [rows, setRows] = useState(null);
  const [err, setErr] = useState('');
  const load = () => dash('GET', `webhooks/${endpoint}/deliveries`).then((r) => setRows(r.data), (e) => setErr(e.message));
  useEffect(() => { load(); const t = setInterval(load, 3000); return () => clearInterval(t); }, [endpoint]);
  const retry = async (d) => { setErr(''); try { await dash('POST', `webhooks/deliveries/${d.id}/retry`); load(); } catch (e) { setErr(e.message); } };
  if (!rows) return html`<p class="muted">loading…</p>`;
  return html`${err && html`<p class="error" data-testid="delivery-error">${err}</p>`}${rows.length === 0 ? html`<p class="muted">No deliveries yet.</p>` : ''}
    <div class="scroll"><table data-testid="deliveries"><thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th class="hide-narrow">Last error</th><th class="hide-narrow">Created</th><th></th></tr></thead>
    <tbody>${rows.map((d) => html`<tr key=${d.id} data-delivery=${d.id} data-state=${d.state} data-object=${d.objectId} data-type=${d.type}><td>${d.type}</td><td><span class=${`status ${d.state}`} data-testid="delivery-state">${d.state}</span></td>
      <td data-testid="delivery-attempts">${d.attempts}</td><td class="hide-narrow secret">${d.lastError || '-'}</td><td class="hide-narrow">${time(d.createdAt)}</td>
      <td>${d.state !== 'delivered' ? html`<button data-testid="retry" onClick=${() => retry(d)}>Retry</button>` : ''}</td></tr>`)}</tbody></table></div>`;
}

function Webhooks() {
  const [list, setList] = useState([]);
  const [url, setUrl] = useState('');
  const [open, setOpen] = useState(null);
  const [made, setMade] = useState(null);
  const [err, setErr] = useState('');
  const load = () => call('GET', 'onair/webhooks').then((r) => setList(r.data || []), (e) => setErr(e.message));
  useEffect(() => { load(); }, []);
  const add = async (e) => {
    e.preventDefault();
    setErr('');
    try { const r = await call('POST', 'onair/webhooks', { url }); setMade(r.data); setUrl(''); load(); } catch (x) { setErr(x.message); }
  };
  return html`<div class="panel"><h3>Webhook endpoints</h3>${err && html`<p class="error">${err}</p>`}
    <form class="row" onSubmit=${add}><input style="flex:1" placeholder="https://example.com/hook" value=${url} onInput=${(e) => setUrl(e.target.value)} data-testid="webhook-url" />
      <button class="primary" type="submit">Add endpoint</button></form>
    ${made && made.secret ? html`<p class="notice">Signing secret of ${made.url} (shown once): <span class="secret">${made.secret}</span> <${Copy} text=${made.secret} label="webhook-secret" /></p>` : ''}
    <div class="scroll"><table data-testid="webhooks"><thead><tr><th>URL</th><th>Enabled</th><th></th></tr></thead><tbody>${list.map((w) => html`<tr key=${w.id} data-webhook=${w.id}>
      <td class="secret">${w.url}</td><td>${w.isEnabled === false ? 'no' : 'yes'}</td>
      <td class="row"><button data-testid="show-deliveries" onClick=${() => setOpen(open === w.id ? null : w.id)}>${open === w.id ? 'Hide deliveries' : 'Deliveries'}</button>
        <button class="danger" onClick=${async () => { if (!confirm('Remove this endpoint?')) return; try { await call('DELETE', `onair/webhooks/${w.id}`); load(); } catch (x) { setErr(x.message); } }}>Delete</button></td></tr>`)}</tbody></table></div>
    ${open ? html`<h3>Recent deliveries</h3><${Deliveries} endpoint=${open} key=${open} />` : ''}</div>`;
}

function Tokens({ session }) {
  const [rows, setRows] = useState([]);
  const [made, setMade] = useState(null);
  const [name, setName] = useState('');
  const [permission, setPermission] = useState('read');
  const [err, setErr] = useState('');
  const load = () => dash('GET', 'tokens').then((r) => setRows(r.data), (e) => setErr(e.message));
  useEffect(() => { load(); }, []);
  const create = async (e) => {
    e.preventDefault();
    setErr('');
    try { const r = await dash('POST', 'tokens', { name, permission }); setMade(r.data); setName(''); load(); } catch (x) { setErr(x.message); }
  };
  const revoke = async (t) => {
    if (!confirm(t.id === session.tokenId ? 'Revoke the token of this session? You will be logged out.' : 'Revoke this token?')) return;
    try { await dash('DELETE', `tokens/${t.id}`); if (t.id === session.tokenId) window.dispatchEvent(new Event('onair-logout')); else load(); } catch (x) { setErr(x.message); }
  };
  return html`<div class="panel"><h3>Access tokens</h3>${err && html`<p class="error">${err}</p>`}
    ${session.permission === 'write' ? html`<form class="row" onSubmit=${create}><input placeholder="name" value=${name} onInput=${(e) => setName(e.target.value)} maxlength="200" data-testid="token-name" />
      <select value=${permission} onChange=${(e) => setPermission(e.target.value)} data-testid="token-permission"><option value="read">read</option><option value="write">write</option></select>
      <button class="primary" type="submit" data-testid="create-token">Create token</button></form>` : ''}
    ${made ? html`<div class="notice" data-testid="token-created"><p>Copy the secret now: it is shown once and cannot be read again.</p>
      <div class="kv"><span>id</span><span class="secret" data-testid="new-token-id">${made.id}</span><span>secret</span><span class="row"><span class="secret" data-testid="new-token-secret">${made.secret}</span><${Copy} text=${made.secret} label="token-secret" /></span></div>
      <button onClick=${() => setMade(null)} data-testid="token-done">Done</button></div>` : ''}
    <div class="scroll"><table data-testid="tokens"><thead><tr><th>Id</th><th>Permission</th><th>Name</th><th class="hide-narrow">Created</th><th></th></tr></thead><tbody>${rows.map((t) => html`<tr key=${t.id} data-token=${t.id}>
      <td class="secret">${t.id}</td><td>${t.permission}</td><td>${t.name || '-'}</td><td class="hide-narrow">${t.createdAt}</td>
      <td>${session.permission === 'write' ? html`<button class="danger" data-testid="revoke" onClick=${() => revoke(t)}>Revoke</button>` : ''}</td></tr>`)}</tbody></table></div></div>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [route, setRoute] = useState(location.hash.slice(1));
  const [info, setInfo] = useState(null);
  useEffect(() => {
    fetch('/dashboard/session').then((r) => r.json()).then((j) => { if (j.success) { csrf = j.data.csrf; setSession(j.data); } else setSession(null); }, () => setSession(null));
    const onHash = () => setRoute(location.hash.slice(1));
    const onLogout = () => { csrf = ''; setSession(null); };
    addEventListener('hashchange', onHash);
    addEventListener('onair-logout', onLogout);
    return () => { removeEventListener('hashchange', onHash); removeEventListener('onair-logout', onLogout); };
  }, []);
  useEffect(() => { if (session) call('GET', 'onair/info').then((r) => setInfo(r.data), () => {}); }, [session]);
  if (session === undefined) return html`<p class="muted">loading…</p>`;
  if (!session) return html`<${Login} onLogin=${(s) => { csrf = s.csrf; setSession(s); }} />`;
  const go = (r) => { location.hash = r; setRoute(r); };
  const logout = async () => { await fetch('/dashboard/logout', { method: 'POST', headers: { 'x-onair-csrf': csrf } }); csrf = ''; setSession(null); };
  return html`<${Shell} session=${session} go=${go} logout=${logout} route=${route} info=${info} />`;
}

function Shell({ session, go, logout, route, info }) {
  const live = useLive();
  let page;
  if (route.startsWith('stream/')) page = html`<${Stream} id=${route.slice(7)} live=${live} info=${info} go=${go} />`;
  else if (route === 'keys') page = html`<${Simple} title="Signing keys" path="iam/signing-keys?limit=50" columns=${['id', 'createdAt']} create=${{ label: 'Create key', run: () => call('POST', 'iam/signing-keys') }} remove=${(r) => call('DELETE', `iam/signing-keys/${r.id}`)} />`;
  else if (route === 'webhooks') page = html`<${Webhooks} />`;
  else if (route === 'tokens') page = html`<${Tokens} session=${session} />`;
  else page = html`<${Streams} live=${live} go=${go} />`;
  return html`<header><h1>onair</h1><nav><a onClick=${() => go('')}>Streams</a><a onClick=${() => go('keys')}>Signing keys</a><a onClick=${() => go('webhooks')}>Webhooks</a><a onClick=${() => go('tokens')}>Tokens</a></nav>
    <span class="who">${session.tokenId.slice(0, 8)} (${session.permission})</span><button onClick=${logout} data-testid="logout">Log out</button></header><main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
