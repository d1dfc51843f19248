import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Backup, canonical, checksum, pickTables, readBackup, selectTables, writeBackup } from './drill';

const order = { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' }, total: { N: '1900' }, tags: { SS: ['b', 'a'] } };
const stock = { pk: { S: 'PRODUCT#p' }, sk: { S: 'STOCK' }, available: { N: '497' } };

describe('canonical form and checksums', () => {
  it('serializes an item the same whatever its key order or set order', () => {
    const shuffled = { tags: { SS: ['a', 'b'] }, total: { N: '1900' }, sk: { S: 'ORDER' }, pk: { S: 'ORDER#1' } };
    expect(canonical(shuffled)).toBe(canonical(order));
  });

  it('keeps types apart: a number is not the string of its digits', () => {
    expect(canonical({ a: { N: '1' } })).not.toBe(canonical({ a: { S: '1' } }));
  });

  it('a table checksum ignores scan order and sees any change of a value or an extra item', () => {
    expect(checksum([order, stock])).toBe(checksum([stock, order]));
    expect(checksum([order, stock])).not.toBe(checksum([order, { ...stock, available: { N: '496' } }]));
    expect(checksum([order])).not.toBe(checksum([order, stock]));
    expect(checksum([order, order])).not.toBe(checksum([order]));
  });
});

describe('the backup file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'backup-unit-'));
  const backup: Backup = {
    manifest: {
      format: 'shopwave-backup/1',
      createdAt: '2026-12-01T00:00:00.000Z',
      source: 'unit',
      tables: [
        { logicalId: 'DataOrdersX', tableName: 'orders', count: 1, sha256: checksum([order]), streamed: false },
        { logicalId: 'DataInventoryX', tableName: 'inventory', count: 1, sha256: checksum([stock]), streamed: false },
      ],
    },
    items: new Map([
      ['DataOrdersX', [order]],
      ['DataInventoryX', [stock]],
    ]),
  };

  it('reads back what was written', () => {
    const file = path.join(dir, 'ok.jsonl.gz');
    writeBackup(file, backup);
    const read = readBackup(file);
    expect(read.manifest).toEqual(backup.manifest);
    expect([...read.items.entries()]).toEqual([...backup.items.entries()]);
  });

  it('refuses a file cut short or an edited item, naming the table', () => {
    const file = path.join(dir, 'cut.jsonl.gz');
    writeBackup(file, backup);
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
    writeFileSync(file, gzipSync(lines.slice(0, -1).join('\n')));
    expect(() => readBackup(file)).toThrow(/table DataInventoryX does not match its manifest \(0 of 1 items/);
    writeFileSync(file, gzipSync(lines.map((l) => l.replace('"1900"', '"19"')).join('\n')));
    expect(() => readBackup(file)).toThrow(/table DataOrdersX does not match its manifest/);
  });

  it('refuses an item of a table the manifest does not list, and a file of another format', () => {
    const file = path.join(dir, 'extra.jsonl.gz');
    writeBackup(file, { ...backup, items: new Map([...backup.items, ['Stranger', [order]]]) });
    expect(() => readBackup(file)).toThrow(/an item of table Stranger/);
    writeFileSync(file, gzipSync('{"format":"other"}\n'));
    expect(() => readBackup(file)).toThrow(/not a ShopWave backup/);
  });
});

describe('choosing tables', () => {
  const tables = [
    { logicalId: 'DataOrders20A4E13F', tableName: 'ShopWave-DataOrders-1' },
    { logicalId: 'DataOutbox18E37EAF', tableName: 'ShopWave-DataOutbox-2' },
  ];

  it('keeps the tables named by prefix, and points one at another physical table', () => {
    expect(selectTables(tables, ['DataOrders'], { DataOrders: 'orders-restored' })).toEqual([
      { logicalId: 'DataOrders20A4E13F', tableName: 'orders-restored' },
    ]);
    expect(selectTables(tables)).toEqual(tables);
  });

  it('refuses a prefix that names no table or more than one', () => {
    expect(() => selectTables(tables, ['DataPayments'])).toThrow(/'DataPayments' must name exactly one table/);
    expect(() => selectTables(tables, [], { DataO: 'x' })).toThrow(/'DataO' must name exactly one table/);
  });

  it('takes the part of a backup that covers the chosen tables', () => {
    const backup: Backup = {
      manifest: {
        format: 'shopwave-backup/1',
        createdAt: 'now',
        source: 'unit',
        tables: tables.map((t) => ({ ...t, count: 0, sha256: checksum([]), streamed: false })),
      },
      items: new Map(tables.map((t) => [t.logicalId, []])),
    };
    const part = pickTables(backup, ['DataOrders20A4E13F']);
    expect(part.manifest.tables.map((t) => t.logicalId)).toEqual(['DataOrders20A4E13F']);
    expect([...part.items.keys()]).toEqual(['DataOrders20A4E13F']);
  });
});
