/** Schema migrations (Kysely Migrator, in-code provider): the same steps on SQLite and Postgres. */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

function initial(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('access_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('permission', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('live_streams')
        .addColumn('stream_id', 'text', (c) => c.primaryKey())
        .addColumn('stream_key', 'text', (c) => c.notNull().unique())
        .addColumn('srt_secret', 'text', (c) => c.notNull().unique())
        .addColumn('srt_playback_stream_id', 'text', (c) => c.notNull().unique())
        .addColumn('srt_playback_secret', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trial', 'integer', (c) => c.notNull())
        .addColumn('max_resolution', 'text', (c) => c.notNull())
        .addColumn('max_duration', 'integer', (c) => c.notNull())
        .addColumn('reconnect_window', 'integer', (c) => c.notNull())
        .addColumn('enable_recording', 'integer', (c) => c.notNull())
        .addColumn('enable_dvr_mode', 'integer', (c) => c.notNull())
        .addColumn('media_policy', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('low_latency', 'integer', (c) => c.notNull())
        .addColumn('closed_captions', 'integer', (c) => c.notNull())
        .addColumn('media_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('live_streams_created').on('live_streams').columns(['created_at', 'stream_id']).execute();
      await db.schema.createTable('playback_ids')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('access_policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('playback_ids_stream').on('playback_ids').column('stream_id').execute();
      await db.schema.createTable('simulcast_targets')
        .addColumn('simulcast_id', 'text', (c) => c.primaryKey())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('stream_key', 'text', (c) => c.notNull())
        .addColumn('is_enabled', 'integer', (c) => c.notNull())
        .addColumn('metadata', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('simulcast_targets_stream').on('simulcast_targets').column('stream_id').execute();
      await db.schema.createTable('signing_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createTable('webhook_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('object_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // The only engine-specific column: an auto-increment key that orders the outbox.
      await db.schema.createTable('webhook_deliveries')
        .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
          engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('order_key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema.createIndex('webhook_deliveries_pending')
        .on('webhook_deliveries').columns(['state', 'endpoint_id', 'order_key', 'id']).execute();
      await sql`select 1`.execute(db);
    },
  };
}

/** Playback id access restrictions (domains / user agents): JSON text, null = none set. */
const playbackAccessRestrictions: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('playback_ids').addColumn('access_restrictions', 'text').execute();
  },
};

/** On-demand media (recordings and clips), their playback ids, and the recording manifest (one row per segment). */
function media(engine: Engine): Migration {
  const dbl = engine === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('media')
        .addColumn('media_id', 'text', (c) => c.primaryKey())
        .addColumn('stream_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('creator_id', 'text')
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('mp4_support', 'text', (c) => c.notNull())
        .addColumn('max_resolution', 'text', (c) => c.notNull())
        .addColumn('source_resolution', 'text')
        .addColumn('duration_s', dbl, (c) => c.notNull())
        .addColumn('tracks', 'text', (c) => c.notNull())
        .addColumn('renditions', 'text', (c) => c.notNull())
        .addColumn('failure_reason', 'text')
        .addColumn('source_media_id', 'text')
        .addColumn('clip_start_s', dbl)
        .addColumn('clip_end_s', dbl)
        .addColumn('clip_key', 'text', (c) => c.unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('media_created').on('media').columns(['created_at', 'media_id']).execute();
      await db.schema.createIndex('media_stream').on('media').columns(['stream_id', 'kind', 'created_at']).execute();
      await db.schema.createIndex('media_source').on('media').columns(['source_media_id', 'created_at']).execute();
      await db.schema.createIndex('media_status').on('media').column('status').execute();
      await db.schema.createTable('media_playback_ids')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('access_policy', 'text', (c) => c.notNull())
        .addColumn('access_restrictions', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('media_playback_ids_media').on('media_playback_ids').column('media_id').execute();
      await db.schema.createTable('media_segments')
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('rendition', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('msn', 'bigint', (c) => c.notNull())
        .addColumn('duration_s', dbl, (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('discontinuity', 'integer', (c) => c.notNull())
        .addColumn('program_date_time', 'text')
        .addColumn('init_key', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('media_segments_pk', ['media_id', 'rendition', 'seq'])
        .execute();
    },
  };
}

/**
 * Cluster state (src/cluster/): the nodes with their heartbeat leases, and each live session's owner node with its
 * lease and what a next owner needs to continue it (recording media, media sequence, timeline, discontinuities).
 */
function cluster(engine: Engine): Migration {
  const dbl = engine === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('cluster_nodes')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('internal_url', 'text', (c) => c.notNull())
        .addColumn('lease_until_ms', 'bigint', (c) => c.notNull())
        .addColumn('started_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createTable('live_sessions')
        .addColumn('stream_id', 'text', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('node_name', 'text', (c) => c.notNull())
        .addColumn('internal_url', 'text', (c) => c.notNull())
        .addColumn('lease_until_ms', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reconnect_window', 'integer', (c) => c.notNull())
        .addColumn('disconnected_ms', 'bigint')
        .addColumn('media_id', 'text')
        .addColumn('next_msn', 'bigint')
        .addColumn('timeline_dts', 'bigint')
        .addColumn('pdt_end_ms', 'bigint')
        .addColumn('discontinuities', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('record_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('record_s', dbl, (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('live_sessions_node').on('live_sessions').column('node_id').execute();
    },
  };
}

/**
 * A session action (finish, disable, delete) asked on another node, kept in the session's row until its owner ran
 * it: an owner that missed the bus's notification (it was reconnecting) finds it at its next heartbeat.
 */
const sessionCommands: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('live_sessions').addColumn('pending_command', 'text').execute();
  },
};

/**
 * Cluster viewer counts: each node's viewers of each stream as hashes of their viewer keys, renewed with its
 * heartbeat; any node counts a stream's distinct viewers as the union over the nodes (a viewer whose requests
 * land on several nodes or workers counts once).
 */
function clusterViewers(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('cluster_viewers')
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('viewers', engine === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('until_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('cluster_viewers_pk', ['node_id', 'stream_id'])
        .execute();
    },
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly engine: Engine) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001_initial': initial(this.engine), '0002_playback_access_restrictions': playbackAccessRestrictions,
      '0003_media': media(this.engine),
      '0004_cluster': cluster(this.engine),
      '0005_session_commands': sessionCommands,
      '0006_cluster_viewers': clusterViewers(this.engine),
    };
  }
}

/** Bring the schema up to date; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>, engine: Engine): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeProvider(engine), migrationTableName: 'onair_migrations', migrationLockTableName: 'onair_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const why = error instanceof Error ? error.message : String(error ?? '');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${why}`);
  }
}
