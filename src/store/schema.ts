// The whole database's table types, assembled from each capability's own.
import type { AuthTables } from '../auth/tables.ts';
import type { CloudTables } from '../cloud/tables.ts';
import type { CcsTables } from '../ccs/tables.ts';

export interface Database extends AuthTables, CloudTables, CcsTables {}
