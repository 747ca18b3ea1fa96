//! In the browser the response was sent long ago: the server set its status
//! when it rendered the page.

pub fn not_found() {}
