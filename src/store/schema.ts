// The whole database's table types, assembled from each capability's own.
import type { AuthTables } from './tables/auth.ts';
import type { CloudTables } from './tables/cloud.ts';
import type { CcsTables } from './tables/ccs.ts';
import type { DocumentTables } from './tables/documents.ts';
import type { IppTables } from './tables/ipp.ts';

export interface Database extends AuthTables, CloudTables, CcsTables, DocumentTables, IppTables {}
