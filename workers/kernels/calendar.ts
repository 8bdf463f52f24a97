/** Calendar arithmetic lives in proto/ (the query compiler on the main thread shares it). */
export * from '../../proto/calendar.js'
