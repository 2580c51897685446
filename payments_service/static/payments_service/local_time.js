// Each <time datetime> of an admin page (shown in UTC) gets the reader's own local time as its
// tooltip: the server cannot know the browser's time zone.
document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("time[datetime]")) {
    const local = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(local.getTime())) {
      element.title = local.toLocaleString(undefined, { timeZoneName: "short" });
    }
  }
});
