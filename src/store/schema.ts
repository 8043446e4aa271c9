// The whole database's table types, assembled from each capability's own.
import type { AuthTables } from '../auth/tables.ts';

export interface Database extends AuthTables {}
