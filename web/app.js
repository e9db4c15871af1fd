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

async function call(method, path, body) {
  const res = await fetch(`/dashboard/api/${path}`, {
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

function Preview({ url }) {
  const ref = useRef(null);
  useEffect(() => {
    const video = ref.current;
    if (Hls.isSupported()) {
      const hls = new Hls({ lowLatencyMode: true });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
      return () => hls.destroy();
    }
    video.src = url;
    return () => { video.removeAttribute('src'); };
  }, [url]);
  return html`<video ref=${ref} muted playsinline controls data-testid="preview"></video>`;
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
    ${status === 'active' && hls ? html`<div class="panel"><h3>Preview</h3><${Preview} url=${hls} /></div>` : ''}
    <div class="panel"><h3>Last minutes</h3><div class="charts">
      <${Chart} id=${id} field="viewers" label="viewers" /><${Chart} id=${id} field="fps" label="frames/s (audio+video)" /><${Chart} id=${id} field="kbps" label="ingest kb/s" /></div></div>
    <div class="panel"><h3>Metadata</h3><div class="row"><input style="flex:1" value=${meta} onInput=${(e) => setMeta(e.target.value)} data-testid="metadata" />
      <button onClick=${() => { let m; try { m = JSON.parse(meta); } catch { return setErr('metadata must be a JSON object of strings'); } act('PATCH', `live/streams/${id}`, { metadata: m })(); }} data-testid="save-metadata">Save</button></div></div>
    <div class="panel"><h3>Simulcast targets</h3><table><tbody>${(s.simulcastResponses || []).map((t) => html`<tr key=${t.simulcastId}><td class="secret">${t.url}</td><td>${t.isEnabled ? 'enabled' : 'disabled'}</td>
        <td><button onClick=${act('PUT', `live/streams/${id}/simulcast/${t.simulcastId}`, { isEnabled: !t.isEnabled })}>${t.isEnabled ? 'Disable' : 'Enable'}</button>
        <button class="danger" onClick=${act('DELETE', `live/streams/${id}/simulcast/${t.simulcastId}`)}>Remove</button></td></tr>`)}</tbody></table>
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

function Webhooks() {
  const [url, setUrl] = useState('');
  return html`<${Simple} title="Webhook endpoints" path="onair/webhooks" columns=${['url', 'isEnabled', 'createdAt']}
    create=${{ label: 'Add endpoint', input: html`<input placeholder="https://example.com/hook" value=${url} onInput=${(e) => setUrl(e.target.value)} />`, run: () => call('POST', 'onair/webhooks', { url }) }}
    remove=${(r) => call('DELETE', `onair/webhooks/${r.id}`)} />`;
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
  else if (route === 'tokens') page = html`<${Simple} title="Access tokens (create and revoke with \`onair tokens\`)" path="/dashboard/tokens" columns=${['id', 'permission', 'name', 'createdAt']} />`;
  else page = html`<${Streams} live=${live} go=${go} />`;
  return html`<header><h1>onair</h1><nav><a onClick=${() => go('')}>Streams</a><a onClick=${() => go('keys')}>Signing keys</a><a onClick=${() => go('webhooks')}>Webhooks</a><a onClick=${() => go('tokens')}>Tokens</a></nav>
    <span class="who">${session.tokenId.slice(0, 8)} (${session.permission})</span><button onClick=${logout} data-testid="logout">Log out</button></header><main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
