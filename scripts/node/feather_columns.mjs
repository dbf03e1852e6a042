// Reads Arrow IPC / Feather v2 files (uncompressed or LZ4-frame compressed, as Argoverse 2 writes
// them) with Apache Arrow's own JavaScript implementation and prints each as one JSON line:
//   {"file": PATH, "rows": N, "columns": {name: [values...]}}
// 64-bit integers become decimal strings (nanosecond timestamps do not fit a double); every other
// column keeps its JSON type. Errors: one line on stderr naming the file, exit status 1.
//   node feather_columns.mjs FILE...
import { readFileSync } from 'node:fs';
import { tableFromIPC, compressionRegistry, CompressionType, Type } from 'apache-arrow';
import lz4 from 'lz4js';

compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => lz4.decompress(data) });

function columnValues(vector) {
  const values = vector.toArray();
  if (vector.type.typeId === Type.Int && vector.type.bitWidth === 64) return Array.from(values, (v) => v.toString());
  return Array.from(values);
}

for (const file of process.argv.slice(2)) {
  try {
    const table = tableFromIPC(readFileSync(file));
    if (table.schema.fields.length === 0) throw new Error('no Arrow schema in it');
    const columns = {};
    for (const field of table.schema.fields) columns[field.name] = columnValues(table.getChild(field.name));
    process.stdout.write(JSON.stringify({ file, rows: table.numRows, columns }) + '\n');
  } catch (e) {
    process.stderr.write(`error: ${file}: not a readable Arrow IPC / Feather file (${e.message})\n`);
    process.exit(1);
  }
}
