import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
const mb = () => { const s = readFileSync('/proc/self/status','utf8'); return `rss ${Number(s.match(/VmRSS:\s+(\d+)/)![1])/1024|0} hwm ${Number(s.match(/VmHWM:\s+(\d+)/)![1])/1024|0}`; };
const extra = (process.env.PGC ?? '').split(' ').filter(Boolean).flatMap((c) => ['-c', c]);
const db = await PGlite.create(process.argv[2], { startParams: [...PGlite.defaultStartParams, ...extra] });
await db.query('create table if not exists t (id text primary key, realm text, data jsonb, exp timestamptz)');
await db.query('delete from t');
for (const round of [1,2,3]) {
  const t = performance.now();
  for (let i = 0; i < 3000; i++) {
    await db.transaction(async (tx) => {
      await tx.query('insert into t values ($1,$2,$3,now())', [`k${round}-${i}`, 'r', JSON.stringify({a:i,b:'x'.repeat(200),c:[1,2,3]})]);
      await tx.query("select data->>'b' as b from t where id = $1 and realm = $2", [`k${round}-${i}`, 'r']);
    });
  }
  console.log('round', round, (3000/((performance.now()-t)/1000))|0, 'tx/s', mb());
}
await db.close();
