import type { Cluster } from '../cluster/open-cluster.ts';
import type { SqlDatabase } from '../db/sql-database.ts';
import { InstanceDirectory } from './instance-directory.ts';
import { AdvisoryLockLeadership, leaderLockKey } from './leadership.ts';
import { ScaleOut, type ScaleOutOptions } from './scale-out.ts';
import { SharedQueue } from './shared-queue.ts';

/**
 * Whether this process is one of several instances of a network: on PostgreSQL, with Redis to carry task
 * events between instances. On SQLite, or on PostgreSQL without Redis, it runs alone and owns every task.
 */
export function sharesNetwork(db: SqlDatabase, cluster: Cluster | undefined): cluster is Cluster {
  return db.dialect === 'postgres' && cluster !== undefined;
}

/** The scale-out parts over the shared database and the cluster channel. */
export function createScaleOut(
  options: { db: SqlDatabase; cluster: Cluster; prefix: string } & Omit<
    ScaleOutOptions,
    'instanceId' | 'queue' | 'instances' | 'leadership' | 'channel'
  >,
): ScaleOut {
  const { db, cluster, prefix, ...rest } = options;
  return new ScaleOut({
    ...rest,
    instanceId: cluster.instanceId,
    queue: new SharedQueue(db),
    instances: new InstanceDirectory(db),
    leadership: new AdvisoryLockLeadership(db, leaderLockKey(db, prefix)),
    channel: cluster.channel,
  });
}

/**
 * A coordinator alone on PostgreSQL owns every open task in it (it requeues them all at start), so it must
 * be the only one there: it takes the network's leader lock for its lifetime, and refuses to start when
 * another coordinator holds it.
 */
export function claimSoleUse(db: SqlDatabase, prefix: string): void {
  if (db.dialect !== 'postgres') return;
  if (!new AdvisoryLockLeadership(db, leaderLockKey(db, prefix)).tryLead())
    throw new Error(
      'Another coordinator already runs on this PostgreSQL database. Several instances of one network need TESSERA_REDIS_URL set on every one of them.',
    );
}
