import t from 'tap'
import { typeName } from '../proto/types.js'
t.equal(typeName({ type: 'decimal', precision: 5, scale: 2 }), 'decimal(5,2)')
