/** Writes docs/alarms-per-target.md (tools/alarms-per-target.ts) and prints the counts per target. */
import { writeFileSync } from 'node:fs';
import { ALARM_TABLE, alarmRows, counts, renderAlarmTable, synthAll, TARGETS } from '../tools/alarms-per-target';

const templates = synthAll();
writeFileSync(ALARM_TABLE, renderAlarmTable(templates));
const c = counts(alarmRows(templates));
for (const t of TARGETS) console.log(`${t}: ${c[t].receiving} of ${c[t].deployed} deployed alarms can receive data`);
