// Run as another user by database-file.test.ts: whether that user may write the SQLite database
// at argv[2], as the built server judges it (store/writable-file.ts).
import { isWritableDatabase } from '../../dist/store/writable-file.js';

process.stdout.write(`${isWritableDatabase(process.argv[2])}\n`);
