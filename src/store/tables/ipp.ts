// Row types of the IPP service's tables (migrations 0013_ipp_pending_jobs and 0015,
// src/ipp/pending-jobs.ts).

/** A Create-Job waiting for its Send-Document. */
export interface IppPendingJobsTable {
  /** The cloud job id the document will be stored under (its IPP job-id derives from it). */
  id: string;
  printer_id: string;
  owner_id: string;
  owner_email: string;
  title: string;
  /** CJT JSON, from the Create-Job's job template attributes. */
  ticket: string;
  /** The Create-Job's document-format; null for application/octet-stream (sniffed when the document comes). */
  format: string | null;
  compression: string;
  created_at: number;
  /** created_at + multiple-operation-time-out: from then on the job is aborted (gone) and the row swept, unless its document is being received. */
  expires_at: number;
  /** When a Send-Document began receiving its document (claim); null while the job waits for one. */
  receiving_at: number | null;
}

export interface IppTables {
  ipp_pending_jobs: IppPendingJobsTable;
}
